"""What the search and library code may ask of a store, as protocols (ports).

Callers speak in words, ids and typed :class:`~picsift.store.filters.Filters`; an
implementation (SQLite + FTS5 today) turns that into its own queries. No SQL text, FTS5
syntax or SQLite exception crosses these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from picsift.store.filters import Filters


class WordIndex(Protocol):
    """BM25 over each image's caption, people's caption, tags and path words."""

    def search_words(
        self,
        words: Sequence[str],
        negatives: Sequence[str],
        sources: Sequence[str],
        filters: Filters,
        k: int,
        phrases: Sequence[str] = (),
    ) -> list[tuple[int, float]]:
        """The best ``k`` (id, score) holding any of ``words`` and each of ``phrases`` (exact)
        in the ``sources``' texts and none of ``negatives``, among the images ``filters``
        lets through."""
        ...

    def document_frequency(self, word: str) -> int: ...

    def ids_containing(self, word: str, ids: Sequence[int], sources: Sequence[str]) -> set[int]: ...

    def analysed_count(self) -> int: ...


class FilteredIds(Protocol):
    def ids_matching(self, filters: Filters) -> np.ndarray:
        """Ids of the analysed images ``filters`` lets through (FilterError if invalid)."""
        ...

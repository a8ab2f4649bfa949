"""What the search, clustering, library and web code may ask of a store, as protocols (ports).

Callers speak in ids, words, typed :class:`~picsift.store.filters.Filters` and the records of
:mod:`picsift.store.records`; an implementation turns that into its own queries. The one
shipped is SQLite with its full-text index (``store/sqlite/``) and FAISS (``store/faiss/``),
composed by :class:`~picsift.store.store.Store`; the tests hold an in-memory one. No SQL
text, full-text query syntax, FAISS object or database exception crosses these.

Indexing (the one writer of image rows and vectors) is not behind a port: it runs
transactions on the SQLite catalog itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import numpy as np

from picsift.store.filters import Filters
from picsift.store.records import (
    Category,
    CategoryRecord,
    EditJobRecord,
    ImageRow,
    Membership,
    PromptRow,
    VariantRecord,
)

# Whose captions the words channel reads: the model's (with the facets' words and the
# path's), people's.
WORD_SOURCES = ("model", "user", "prompt")  # the model's, people's, a generator's prompt


class ImageRepository(Protocol):
    """The image rows and what was stored about them."""

    def generation(self) -> int:
        """A number that changes whenever rows or vectors change (caches key on it)."""
        ...

    def get(self, image_id: int) -> ImageRow | None: ...

    def rows(self, ids: Sequence[int]) -> dict[int, ImageRow]: ...

    def rows_under(self, root: str) -> dict[str, ImageRow]:
        """Every row whose path lies inside directory ``root`` (or is ``root``)."""
        ...

    def analysed_rows(self) -> list[ImageRow]: ...

    def existing_ids(self, ids: Sequence[int]) -> set[int]: ...

    def ids_matching(self, filters: Filters) -> np.ndarray:
        """Ids of the analysed images ``filters`` lets through (FilterError if invalid)."""
        ...

    def counts(self) -> dict[str, int]:
        """Images per status: ok, error, pending."""
        ...

    def facets_of(self, image_id: int) -> str | None:
        """The facets JSON stored at indexing time."""
        ...

    def facet_map(self, image_id: int, name: str) -> bytes | None:
        """A structure facet's small map of an image (PNG bytes), or None."""
        ...

    def map_names(self, image_id: int) -> list[str]: ...

    def captions(self, ids: Sequence[int]) -> dict[int, str]: ...

    def tag_labels(self, ids: Sequence[int]) -> dict[int, list[str]]: ...

    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def space_model(self, space: str) -> str | None:
        """The model whose vectors fill ``space`` (None while it is empty)."""
        ...

    def embedding_count(self, space: str) -> int: ...

    def runtime_counts(self, space: str) -> dict[str, int]: ...

    def embeddings(self, space: str) -> tuple[np.ndarray, np.ndarray]:
        """(ids int64 [n], unit vectors float32 [n, d]) of one space, in id order."""
        ...

    def delete(self, ids: Sequence[int]) -> int: ...

    def rewritten(self, image_id: int, sha256: str, size: int, mtime_ns: int) -> None:
        """The file's metadata was rewritten by picsift, its pixels not: new hash and stat."""
        ...


class WordIndex(Protocol):
    """BM25 over each image's caption, people's caption, facet words and path words."""

    def search_words(
        self,
        words: Sequence[str],
        negatives: Sequence[str],
        sources: Sequence[str],
        filters: Filters,
        k: int,
        phrases: Sequence[str] = (),
        prompt_weight: float = 1.0,
    ) -> list[tuple[int, float]]:
        """The best ``k`` (id, score) holding any of ``words`` and each of ``phrases`` (exact)
        in the ``sources``' texts and none of ``negatives``, among the images ``filters``
        lets through; a word in a prompt counts ``prompt_weight`` times a caption's."""
        ...

    def document_frequency(self, word: str) -> int: ...

    def ids_containing(self, word: str, ids: Sequence[int], sources: Sequence[str]) -> set[int]: ...

    def analysed_count(self) -> int: ...

    def mean_words(self, sources: Sequence[str]) -> float:
        """The mean length in words of the ``sources``' captions (0 when there are none):
        how long a description in this library is, which tells a query that describes a
        picture from one that names a few things in it."""
        ...

    def caption_sample(self, sources: Sequence[str], n: int) -> list[str]:
        """Up to ``n`` of the ``sources``' captions, spread over the library and the same
        each time for the same catalog (what language the captions are in)."""
        ...


class Stamp(Protocol):
    """Which state of the catalog a vector backend holds."""

    @property
    def generation(self) -> int: ...

    @property
    def model(self) -> str | None: ...

    @property
    def dim(self) -> int: ...

    @property
    def count(self) -> int: ...


class VectorBackend(Protocol):
    """Nearest neighbours over one space's unit vectors (scores are cosines)."""

    @property
    def stamp(self) -> Stamp: ...

    @property
    def count(self) -> int: ...

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) [n, k] for ``queries`` [n, d]; id -1 marks an empty slot;
        ``allowed`` restricts the search to those ids."""
        ...

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The exact stored vectors of ``ids`` (RuntimeError if one is unknown)."""
        ...


class CategoryRepository(Protocol):
    """The categories a clustering run wrote, people's renames, and memberships."""

    def all(self) -> list[Category]: ...

    def get(self, category_id: int) -> Category | None: ...

    def unsorted_count(self) -> int: ...

    def leaf_members(self) -> dict[int, set[int]]: ...

    def parent_members(self) -> dict[int, set[int]]: ...

    def next_id(self) -> int:
        """One above any id ever used, so a category that died never lends its id."""
        ...

    def leaf_centroids(self) -> tuple[list[int], np.ndarray, np.ndarray]: ...

    def unassigned(self) -> list[int]: ...

    def member_ids(self, category_id: int, offset: int, limit: int) -> tuple[list[int], int]: ...

    def suggestions(self, ids: Sequence[int]) -> dict[int, tuple[int, float]]: ...

    def projection(self) -> list[tuple[int, int | None, float, float]]: ...

    def replace_all(
        self,
        records: Sequence[CategoryRecord],
        memberships: Sequence[Membership],
        params: dict[str, object],
        report: dict[str, object],
    ) -> None: ...

    def add_members(self, memberships: Sequence[Membership]) -> None: ...

    def rename(self, category_id: int, name: str | None) -> Category: ...

    def last_run(self) -> dict[str, object] | None: ...


class EditRepository(Protocol):
    """Variants (edited pictures, each an image of the library) and the edit jobs."""

    def add_variant(self, record: VariantRecord) -> None: ...

    def variant(self, image_id: int) -> VariantRecord | None: ...

    def variants_of(self, original_id: int) -> list[VariantRecord]: ...

    def variant_count(self) -> int: ...

    def variant_ids(self) -> set[int]: ...

    def save_job(self, job: EditJobRecord) -> None:
        """Insert or replace the job's row."""
        ...

    def job(self, job_id: str) -> EditJobRecord | None: ...

    def interrupt_unfinished(self) -> int:
        """Mark queued and running jobs ``interrupted`` (after a restart); how many."""
        ...


class PromptRepository(Protocol):
    """Generated images' prompts and their agreement with the pictures."""

    def missing_agreement(self, space: str, limit: int) -> list[PromptRow]: ...

    def vectors_of(self, space: str, ids: Sequence[int]) -> dict[int, np.ndarray]: ...

    def sample_vectors(self, space: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``n`` (ids, vectors) spread over the library, the same on every call."""
        ...

    def set_agreements(self, values: Mapping[int, str]) -> None: ...

    def agreement(self, image_id: int) -> str | None: ...

    def details(self, image_id: int) -> str | None: ...

    def worst(self, filters: Filters, limit: int, offset: int = 0) -> tuple[list[int], int]:
        """The least agreeing first, and how many have an agreement."""
        ...

    def generators(self) -> list[tuple[str, int]]: ...


class LibraryStore(Protocol):
    """A library as the services see it: images, words, vectors per space, categories."""

    @property
    def home(self) -> Path: ...

    @property
    def images(self) -> ImageRepository: ...

    @property
    def words(self) -> WordIndex: ...

    @property
    def categories(self) -> CategoryRepository: ...

    @property
    def edits(self) -> EditRepository: ...

    @property
    def prompts(self) -> PromptRepository: ...

    def vectors(self, space: str) -> VectorBackend:
        """The backend answering for ``space`` now (it may lag the newest writes briefly)."""
        ...

    def writer_lock(self) -> AbstractContextManager[None]:
        """Held by whoever writes (indexing, clustering); one writer per store."""
        ...

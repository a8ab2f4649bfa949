"""Search over one embedding space: the FAISS index derived from the catalog's embeddings.

The catalog is the truth; an index is a cache stamped with the catalog generation, model,
dimension, count and kind it was built from (``index_files.py`` has the format,
``index_build.py`` the builds, ``index_kinds.py`` the choice of kind). Every kind answers the
same way: scores are inner products of unit vectors (cosine), ids are catalog ids, -1 marks a
missing slot, and ``vectors()`` returns the exact stored vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from picsift.store.faiss.index_kinds import (
    FLAT,
    IVFPQ,
    TRAINED,
    IndexOptions,
    nprobe_for,
    shortlist_for,
)
from picsift.store.faiss.stored_vectors import StoredVectors

if TYPE_CHECKING:
    from picsift.store.faiss.index_files import IndexFiles

FORMAT_VERSION = 2  # 1: one <space>.faiss, flat or HNSW; 2: token-named builds, IVF kinds
_MISSING = -np.finfo(np.float32).max  # the score FAISS gives an empty slot


@dataclass(frozen=True)
class IndexStamp:
    generation: int
    model: str | None
    dim: int
    count: int
    kind: str = FLAT  # index_kinds.KINDS
    nlist: int = 0  # IVF lists (trained kinds)
    trained_count: int = 0  # vectors when the lists were trained (the retrain rule)
    files: str = ""  # token naming this build's files
    format: int = FORMAT_VERSION

    def describes(self, other: IndexStamp) -> bool:
        """Same catalog state and kind (build parameters and file names may differ)."""
        return (self.generation, self.model, self.dim, self.count, self.kind) == (
            other.generation,
            other.model,
            other.dim,
            other.count,
            other.kind,
        )


class VectorIndex:
    """Inner-product (cosine on unit vectors) search over one embedding space."""

    def __init__(
        self,
        index: faiss.Index,
        stamp: IndexStamp,
        stored: StoredVectors | None = None,
        options: IndexOptions | None = None,
        files: IndexFiles | None = None,
    ) -> None:
        if stamp.kind in TRAINED and stored is None:
            raise ValueError("a trained index needs its stored vectors")
        self._index = index
        self.stamp = stamp
        self.stored = stored
        self.options = options or IndexOptions()
        self.files = files  # None: built in memory only
        self._ivf = faiss.extract_index_ivf(index) if stamp.kind in TRAINED else None

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def trained(self) -> bool:
        return self.stamp.kind in TRAINED

    @property
    def faiss_index(self) -> faiss.Index:
        return self._index

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, stamp: IndexStamp) -> VectorIndex:
        """A flat index in memory (trained kinds are built on disk by ``index_build``)."""
        if stamp.kind != FLAT:
            raise ValueError(f"build {stamp.kind} indexes with picsift.store.faiss.index_build")
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(stamp.dim))
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        return cls(index, stamp)

    def restamped(self, stamp: IndexStamp) -> VectorIndex:
        """The same vectors under a newer stamp (the catalog changed, this space did not)."""
        return VectorIndex(self._index, stamp, self.stored, self.options, self.files)

    # -- search ------------------------------------------------------------------------------
    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores [q, k], ids [q, k]); missing slots have id -1.

        ``allowed`` (catalog ids) restricts the search itself, so filtering never shortens
        the result while matching vectors remain.
        """
        q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if allowed is not None:
            if len(allowed) == 0:
                return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
            k = min(k, len(allowed))
        k = max(1, min(k, max(self.count, 1)))
        if self._ivf is None:
            return self._search_flat(q, k, allowed)
        return self._search_trained(q, k, allowed)

    def _search_flat(
        self, q: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if allowed is None:
            return self._index.search(q, k)
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        return self._index.search(q, k, params=params)

    def _search_trained(
        self, q: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        assert self._ivf is not None
        nlist = int(self._ivf.nlist)
        nprobe = nprobe_for(nlist, self.options)
        if allowed is None:
            return self._probe(q, k, nprobe, None)
        allowed = np.unique(np.asarray(allowed, dtype=np.int64))
        if len(allowed) < self.options.exact_filter_below:
            return self._exact(q, k, allowed)
        selector = faiss.IDSelectorBatch(allowed)
        # A filter hides most of each list: widen the scan until every query has k hits or
        # every list was scanned (then all matching vectors were seen).
        while True:
            scores, ids = self._probe(q, k, nprobe, selector)
            if nprobe >= nlist or bool(np.all((ids >= 0).sum(axis=1) >= k)):
                return scores, ids
            nprobe = min(nlist, nprobe * 4)

    def _probe(
        self, q: np.ndarray, k: int, nprobe: int, selector: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        params: Any = faiss.SearchParametersIVF()  # type: ignore[attr-defined]
        params.nprobe = nprobe
        if selector is not None:
            params.sel = selector
        if self.stamp.kind != IVFPQ:
            return self._index.search(q, k, params=params)
        wanted = shortlist_for(k, self.count, self.options)
        _, candidates = self._index.search(q, wanted, params=params)
        return self._rerank(q, candidates, k)

    def _rerank(
        self, q: np.ndarray, candidates: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores of each query's short list from the stored vectors; the best k."""
        assert self.stored is not None
        scores = np.full((len(q), k), _MISSING, np.float32)
        ids = np.full((len(q), k), -1, np.int64)
        for row, (query, found) in enumerate(zip(q, candidates, strict=True)):
            found = found[found >= 0]
            pos, known = self.stored.positions(found)
            order = np.argsort(pos[known])  # read rows in file order; their order is moot
            exact = _dot(self.stored.rows[pos[known][order]], query)
            best = np.argsort(-exact, kind="stable")[:k]
            scores[row, : len(best)] = exact[best]
            ids[row, : len(best)] = found[known][order][best]
        return scores, ids

    def _exact(self, q: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Brute force over the allowed ids' own vectors: cheaper than any scan of the lists
        for a small filter, and exact."""
        assert self.stored is not None
        pos, known = self.stored.positions(allowed)  # ascending, as ``allowed`` is sorted
        vectors, members = self.stored.rows[pos[known]], allowed[known]
        scores = np.full((len(q), k), _MISSING, np.float32)
        ids = np.full((len(q), k), -1, np.int64)
        if len(members) == 0:
            return scores, ids
        exact = np.stack([_dot(vectors, query) for query in q])
        for row in range(len(q)):
            best = np.argsort(-exact[row], kind="stable")[:k]
            scores[row, : len(best)] = exact[row, best]
            ids[row, : len(best)] = members[best]
        return scores, ids

    # -- stored vectors ------------------------------------------------------------------------
    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """Exact stored vectors for catalog ids (for query arithmetic and near-duplicate
        checks); RuntimeError when an id is not in this index."""
        if len(ids) == 0:
            return np.zeros((0, self.stamp.dim), np.float32)
        if self.stored is not None:
            return self.stored.get(np.asarray(ids, dtype=np.int64))
        return np.stack([self._index.reconstruct(int(i)) for i in ids])


def _dot(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """rows @ query on this thread: BLAS spreads a product of this size over every core, and
    on a busy machine (other searches, other jobs) its thread hand-offs cost milliseconds."""
    return np.einsum("ij,j->i", rows, query)

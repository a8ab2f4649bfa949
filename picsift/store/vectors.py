"""FAISS index files derived from the catalog's embeddings.

The catalog is the truth; an index file is a cache stamped with the catalog generation,
model and count it was built from. A stale or damaged file is simply rebuilt, so a crash at
any point can cost time but never data. Files are replaced atomically (temp, fsync, rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from picsift.errors import StoreError
from picsift.store.catalog import Catalog

DEFAULT_APPROXIMATE_ABOVE = 50_000  # flat search at 100k costs ~18 ms on 2 cores, HNSW ~0.5
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 100
HNSW_EF_SEARCH = 128


@dataclass(frozen=True)
class IndexStamp:
    generation: int
    model: str | None
    dim: int
    count: int
    kind: str = "flat"  # "flat" (exact) or "hnsw" (approximate, for large libraries)


def kind_for(count: int, approximate_above: int) -> str:
    """Exact search while it is fast enough; a graph index once the library is large."""
    return "hnsw" if count > approximate_above else "flat"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class VectorIndex:
    """Inner-product (cosine on unit vectors) search over one embedding space."""

    def __init__(self, index: faiss.Index, stamp: IndexStamp) -> None:
        self._index = index
        self.stamp = stamp

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, stamp: IndexStamp) -> VectorIndex:
        if stamp.kind == "hnsw":
            graph = faiss.IndexHNSWFlat(stamp.dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            graph.hnsw.efSearch = HNSW_EF_SEARCH
            index = faiss.IndexIDMap2(graph)
        else:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(stamp.dim))
        if len(ids):
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        return cls(index, stamp)

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
        if allowed is None:
            return self._index.search(q, k)
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        if self.stamp.kind == "hnsw":
            # a filter hides graph nodes; a wider beam keeps recall up
            params: Any = faiss.SearchParametersHNSW(  # type: ignore[call-arg,attr-defined]
                sel=selector, efSearch=max(HNSW_EF_SEARCH, 4 * k)
            )
        else:
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        return self._index.search(q, k, params=params)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """Stored vectors for catalog ids (for query arithmetic and near-duplicate checks)."""
        return (
            np.stack([self._index.reconstruct(int(i)) for i in ids])
            if len(ids)
            else (np.zeros((0, self.stamp.dim), np.float32))
        )

    def save(self, folder: Path, space: str) -> None:
        raw = faiss.serialize_index(self._index).tobytes()
        _atomic_write(folder / f"{space}.faiss", raw)
        _atomic_write(folder / f"{space}.json", json.dumps(asdict(self.stamp)).encode())


def read_stamp(folder: Path, space: str) -> IndexStamp | None:
    try:
        return IndexStamp(**json.loads((folder / f"{space}.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def current_stamp(
    catalog: Catalog, space: str, approximate_above: int = DEFAULT_APPROXIMATE_ABOVE
) -> IndexStamp:
    count = catalog.embedding_count(space)
    return IndexStamp(
        generation=catalog.generation(),
        model=catalog.space_model(space),
        dim=int(catalog.meta(f"dim:{space}") or 0),
        count=count,
        kind=kind_for(count, approximate_above),
    )


def load_or_rebuild(
    catalog: Catalog,
    folder: Path,
    space: str,
    *,
    save: bool,
    approximate_above: int = DEFAULT_APPROXIMATE_ABOVE,
) -> VectorIndex:
    """The index for ``space``: the file when its stamp matches the catalog, else rebuilt."""
    expected = current_stamp(catalog, space, approximate_above)
    if read_stamp(folder, space) == expected:
        try:
            raw = np.fromfile(folder / f"{space}.faiss", dtype=np.uint8)
            index = faiss.deserialize_index(raw)
            if int(index.ntotal) == expected.count:
                return VectorIndex(index, expected)
        except (OSError, RuntimeError):
            pass  # damaged file: fall through and rebuild from the catalog
    ids, vectors = catalog.embeddings(space)
    stamp = IndexStamp(
        expected.generation, expected.model, vectors.shape[1], len(ids), expected.kind
    )
    built = VectorIndex.build(ids, vectors, stamp)
    if save:
        try:
            built.save(folder, space)
        except OSError as exc:  # disk full, read-only store: the catalog is intact
            raise StoreError(
                f"cannot write the vector index in {folder}: {exc.strerror or exc}; free some "
                "disk space or make the store writable (the index is derived from the catalog "
                "and is rebuilt then)"
            ) from exc
    return built

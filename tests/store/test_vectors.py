"""The FAISS file is derived: stale or damaged files are rebuilt from the catalog."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from picsift.store import Store
from tests.store.fill import fill_vectors


def _fill(store: Store, n: int) -> None:
    vecs = np.random.default_rng(0).normal(size=(n, 4)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    fill_vectors(store, range(n), vecs, "m:1")


def test_saved_index_is_reused_and_searches_by_catalog_id(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        _fill(store, 10)
        assert not store.index_in_sync()
        index = store.vector_index()
        assert store.index_in_sync() and index.count == 10
        ids, vecs = store.catalog.embeddings("image")
        scores, found = store.vector_index().search(vecs[3], 1)
        assert found[0, 0] == ids[3] and scores[0, 0] > 0.999


def test_stale_index_is_rebuilt(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        _fill(store, 5)
        store.vector_index()
        store.catalog.delete([1, 2])
        assert not store.index_in_sync()
        assert store.vector_index().count == 3 and store.index_in_sync()


def test_damaged_index_file_is_rebuilt(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        _fill(store, 5)
        built = store.vector_index()
        assert built.files is not None
        built.files.faiss.write_bytes(b"junk")
    with Store(tmp_path) as store:
        again = store.vector_index()
        assert again.count == 5 and again.stamp.files != built.stamp.files
        assert store.index_in_sync()

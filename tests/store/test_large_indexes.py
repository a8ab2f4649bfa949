"""Index kinds by size, their recall, filters and stored vectors; the versioned on-disk format,
memory-mapped opening, in-place updates and background rebuilds (issue 10).

Sizes are small (thousands of 32-d vectors): thresholds are lowered through IndexOptions.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np
import pytest

from picsift.store import IndexOptions, Store
from picsift.store.faiss.index_files import read_stamp, stamp_path
from picsift.store.faiss.index_kinds import FLAT, IVF, IVFPQ, kind_for
from picsift.store.faiss.index_refresh import refresh_from
from picsift.store.faiss.vectors import VectorIndex
from tests.store.fill import fill_vectors

DIM = 32
MODEL = "m:1"


def clustered(n: int, seed: int, centres: int = 40, dim: int = DIM) -> np.ndarray:
    where = np.random.default_rng(0).standard_normal((centres, dim)).astype(np.float32)
    rng = np.random.default_rng(seed)
    x = where[rng.integers(0, centres, n)] + 0.35 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


class Source:
    """A VectorSource over arrays (the catalog's role in the store)."""

    def __init__(self, ids: np.ndarray, rows: np.ndarray, generation: int = 1) -> None:
        self.ids, self.rows = ids, rows
        self.generation, self.model, self.dim, self.count = generation, MODEL, DIM, len(ids)

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in range(0, len(self.ids), 700):
            yield self.ids[start : start + 700], self.rows[start : start + 700]


def options(kind: str, **extra: object) -> IndexOptions:
    """Options under which the store picks ``kind`` for a few thousand vectors."""
    above = {FLAT: (10**9, 10**9), IVF: (0, 10**9), IVFPQ: (0, 0)}[kind]
    return IndexOptions(approximate_above=above[0], compress_above=above[1], **extra)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids = np.arange(10, 10 + 4000 * 3, 3, dtype=np.int64)  # catalog ids, not positions
    return ids, clustered(len(ids), 1), clustered(50, 2)


def _build(folder: Path, kind: str, ids: np.ndarray, rows: np.ndarray, **extra: object):
    built = refresh_from(
        Source(ids, rows), folder, "image", None, options(kind, **extra), save=True
    )
    assert built.stamp.kind == kind
    return built


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)]))


def _mapped(index: VectorIndex) -> bool:
    """Whether the index's vectors are served from mapped files rather than copies. (FAISS
    maps flat codes and IVF-flat lists; the compressed kind's 4-bit codes, 1/64 of its
    vectors' size, are read, and its float vectors are mapped.)"""
    inner = index.faiss_index
    if index.stamp.kind == IVFPQ:
        return index.stored is not None and isinstance(index.stored.rows, np.memmap)
    if index.trained:
        lists = faiss.downcast_InvertedLists(faiss.extract_index_ivf(inner).invlists)
        return not lists.codes.at(0).is_owned
    return not faiss.downcast_index(inner.index).codes.is_owned


# -- kinds --------------------------------------------------------------------------------------
def test_kind_follows_size() -> None:
    opts = IndexOptions(approximate_above=50_000, compress_above=1_000_000)
    assert [kind_for(n, opts) for n in (10, 50_000, 50_001, 1_000_000, 1_000_001)] == [
        FLAT,
        FLAT,
        IVF,
        IVF,
        IVFPQ,
    ]
    assert kind_for(500, IndexOptions(approximate_above=0)) == FLAT  # too few to train
    assert kind_for(60_000, IndexOptions(compress_above=0)) == IVFPQ  # compression by setting


@pytest.mark.parametrize(("kind", "bound"), [(FLAT, 1.0), (IVF, 0.95), (IVFPQ, 0.95)])
def test_each_kind_finds_the_exact_neighbours(
    tmp_path: Path, data, kind: str, bound: float
) -> None:
    ids, rows, queries = data
    index = _build(tmp_path, kind, ids, rows, rerank=100)  # PQ: a short list of 10 k
    truth = ids[np.argsort(-(queries @ rows.T), axis=1)[:, :10]]
    scores, found = index.search(queries, 10)
    assert _recall(found, truth) >= bound
    exact = np.einsum("qd,qd->q", queries, rows[np.searchsorted(ids, found[:, 0])])
    np.testing.assert_allclose(scores[:, 0], exact, atol=1e-5)  # inner products, catalog ids
    assert np.all(np.diff(scores, axis=1) <= 1e-6)


@pytest.mark.parametrize("kind", [FLAT, IVF, IVFPQ])
def test_filters_restrict_the_search_for_every_kind(tmp_path: Path, data, kind: str) -> None:
    ids, rows, queries = data
    index = _build(tmp_path, kind, ids, rows)
    few = ids[::97]  # 42 ids: searched exactly over their own vectors
    _, found = index.search(queries[:3], 10, few)
    assert set(found.ravel()) <= set(few) and (found >= 0).all()
    truth = few[np.argsort(-(queries[:3] @ rows[::97].T), axis=1)[:, :10]]
    assert (found == truth).all()
    # Through the IVF selector (exact path off): every hit allowed, pages full, and a filter
    # whose members sit in lists nobody probes still returns all of them (widened scan).
    wide = VectorIndex(
        index.faiss_index,
        index.stamp,
        index.stored,
        options(kind, exact_filter_below=0),
        index.files,
    )
    third = ids[::3]
    _, found = wide.search(queries[:3], 10, third)
    assert set(found.ravel()) <= set(third) and (found >= 0).all()
    scattered = ids[[5, 900, 1800, 2700, 3600]]
    _, found = wide.search(queries[:1], 10, scattered)
    assert sorted(found[0][found[0] >= 0]) == sorted(scattered)
    assert index.search(queries[:1], 10, np.zeros(0, np.int64))[1].shape == (1, 0)


@pytest.mark.parametrize("kind", [FLAT, IVF, IVFPQ])
def test_vectors_are_the_exact_stored_ones(tmp_path: Path, data, kind: str) -> None:
    ids, rows, _ = data
    index = _build(tmp_path, kind, ids, rows)
    pick = np.array([ids[7], ids[0], ids[-1]])
    assert np.array_equal(index.vectors(pick), rows[[7, 0, len(ids) - 1]])  # not PQ decodes
    assert index.vectors(np.zeros(0, np.int64)).shape == (0, DIM)
    with pytest.raises(RuntimeError):
        index.vectors(np.array([11]))  # not an id of this index


# -- format and opening -----------------------------------------------------------------------
@pytest.mark.parametrize("kind", [FLAT, IVF, IVFPQ])
def test_saved_builds_open_memory_mapped(tmp_path: Path, data, kind: str) -> None:
    ids, rows, queries = data
    built = _build(tmp_path, kind, ids, rows)
    stamp = read_stamp(tmp_path, "image")
    assert stamp is not None and stamp.kind == kind and stamp.format == 2
    reopened = refresh_from(Source(ids, rows), tmp_path, "image", None, options(kind), save=True)
    assert reopened.stamp.files == built.stamp.files  # opened, not rebuilt
    assert _mapped(reopened)
    if kind != FLAT:
        assert reopened.stored is not None and isinstance(reopened.stored.rows, np.memmap)
        assert stamp.nlist > 1 and stamp.trained_count == len(ids)
    assert (reopened.search(queries, 10)[1] == built.search(queries, 10)[1]).all()


@pytest.mark.parametrize(
    "change",
    [
        lambda s: {k: v for k, v in s.items() if k != "format"},  # format 1 had no field
        lambda s: {**s, "format": 3},  # a newer picsift's
        lambda s: {**s, "kind": "hnsw"},  # a kind this version does not build
        lambda s: {**s, "extra": 1},  # a field it does not know
    ],
)
def test_unknown_stamps_are_rebuilt_never_read(tmp_path: Path, change) -> None:
    with Store(tmp_path) as store:
        _fill(store, range(20))
        first = store.vector_index()
        path = stamp_path(store.vectors_dir, "image")
        path.write_text(json.dumps(change(json.loads(path.read_text()))))
        assert read_stamp(store.vectors_dir, "image") is None
        assert not store.index_in_sync()
    with Store(tmp_path) as store:
        again = store.vector_index()
        assert again.count == 20 and again.stamp.files != first.stamp.files
        assert store.index_in_sync()


def test_format_1_files_are_replaced(tmp_path: Path) -> None:
    folder = tmp_path / "vectors"
    folder.mkdir()
    old = {"generation": 1, "model": MODEL, "dim": DIM, "count": 20, "kind": "flat"}
    (folder / "image.json").write_text(json.dumps(old))
    (folder / "image.faiss").write_bytes(b"format 1")
    with Store(tmp_path) as store:
        _fill(store, range(20))
        assert store.vector_index().count == 20
    assert sorted(p.suffix for p in folder.glob("image.*")) == [".faiss", ".json"]
    assert not (folder / "image.faiss").exists()


# -- store: updates and background builds ------------------------------------------------------
def _fill(store: Store, numbers: range, seed: int = 1, model: str = MODEL, dim: int = DIM) -> None:
    fill_vectors(store, numbers, clustered(len(numbers), seed, dim=dim), model)


def _store(home: Path, hook=None, **extra: object) -> Store:
    opts = IndexOptions(
        approximate_above=1000,
        pause_seconds=0,
        retry_seconds=0,
        **extra,  # type: ignore[arg-type]
    )
    return Store(home, index=opts, before_background_build=hook)


def test_trained_index_is_updated_in_place_until_it_doubles(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        _fill(store, range(3000))
        first = store.vector_index()
        assert first.stamp.kind == IVF and first.stamp.trained_count == 3000
        ids, rows = store.catalog.embeddings("image")
        store.catalog.delete([int(i) for i in ids[:50]])
        _fill(store, range(3000, 3400), seed=2)
        _fill(store, range(100, 101), seed=3)  # same file, new content: same id, new vector
        updated = store.vector_index()
        assert updated.count == 3350 and updated.stamp.trained_count == 3000
        assert updated.stamp.nlist == first.stamp.nlist  # lists kept, not retrained
        new_ids, new_rows = store.catalog.embeddings("image")
        changed = int(ids[100])
        assert np.array_equal(updated.vectors(np.array([changed])), new_rows[new_ids == changed])
        _, found = updated.search(rows[:5], 10)
        assert not set(found.ravel()) & set(ids[:50].tolist())
        _fill(store, range(3400, 7000), seed=4)  # past 2x the trained size: retrained
        grown = store.vector_index()
        assert grown.stamp.trained_count == grown.count == 6950
        assert store.index_in_sync()


def test_unrelated_changes_only_restamp(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        _fill(store, range(1500))
        first = store.vector_index()
        store.catalog.put_vectors("caption", "t:1", [1], np.ones((1, 4), np.float32))
        again = store.vector_index()
        assert again.stamp.generation > first.stamp.generation
        assert again.stamp.files == first.stamp.files  # the same files, a newer stamp


def test_a_large_stale_index_serves_while_the_new_one_builds(tmp_path: Path) -> None:
    started, release = threading.Event(), threading.Event()

    def hold(space: str) -> None:
        started.set()
        assert release.wait(20)

    with _store(tmp_path, hold) as store:
        _fill(store, range(2000))
        old = store.vector_index()  # the indexer's synchronous, saved build
        _, rows = store.catalog.embeddings("image")
        _, near = old.search(rows[:1], 10)
        gone = [int(i) for i in near[0][1:6]]
        store.catalog.delete(gone)
        _fill(store, range(2000, 2100), seed=5)
        served = store.vector_index(save=False)
        assert served is old and started.wait(10)  # stale, and the build is under way
        assert store.vector_index(save=False) is old
        assert set(gone) <= set(old.search(rows[:1], 10)[1][0].tolist())
        release.set()
        assert store.wait_for_index_builds(20)
        new = store.vector_index(save=False)
        assert new is not old and new.count == 2095 and store.index_in_sync()
        assert not set(gone) & set(new.search(rows[:1], 10)[1][0].tolist())


def test_a_small_flat_index_is_rebuilt_at_once(tmp_path: Path) -> None:
    background: list[str] = []
    with _store(tmp_path, background.append) as store:
        _fill(store, range(100))
        assert store.vector_index(save=False).count == 100
        _fill(store, range(100, 120))
        assert store.vector_index(save=False).count == 120
        assert store.wait_for_index_builds(20) and background == []


def test_search_never_names_images_deleted_since_the_index_was_built(tmp_path: Path) -> None:
    """A stale index may still hold deleted images; search drops ids whose rows are gone."""
    from picsift.config import Settings
    from picsift.search import SearchOptions, SearchService
    from tests.fakes import FakeModels

    models = FakeModels()
    release = threading.Event()
    with _store(tmp_path, lambda space: release.wait(20)) as store:
        _fill(store, range(2000), model=models.preset.embedder.model_id, dim=16)
        old = store.vector_index()
        ids, rows = store.catalog.embeddings("image")
        _, near = old.search(rows[:1], 12)
        gone = [int(i) for i in near[0][1:6]]
        store.catalog.delete(gone)
        service = SearchService(store, models, Settings(home=tmp_path, search_cutoff=0.0))
        page = service.similar(int(ids[0]), SearchOptions(limit=10, weights={"clip": 1.0}))
        assert store.vector_index(save=False) is old  # the stale index answered
        assert set(gone) <= set(old.search(rows[:1], 12)[1][0].tolist())
        assert len(page.hits) == 10 and not {h.id for h in page.hits} & set(gone)
        release.set()
        assert store.wait_for_index_builds(20)


def test_a_failed_background_build_keeps_the_old_index(tmp_path: Path, caplog) -> None:
    calls: list[str] = []

    def fail_once(space: str) -> None:
        calls.append(space)
        if len(calls) == 1:
            raise OSError("disk on fire")

    with _store(tmp_path, fail_once) as store:
        _fill(store, range(2000))
        old = store.vector_index()
        _fill(store, range(2000, 2050))
        with caplog.at_level(logging.ERROR, logger="picsift.store"):
            assert store.vector_index(save=False) is old
            assert store.wait_for_index_builds(20)
        assert "still serving the previous one" in caplog.text and "disk on fire" in caplog.text
        assert store.vector_index(save=False) is old  # a retry was queued; old still serves
        assert store.wait_for_index_builds(20)
        assert store.vector_index(save=False).count == 2050 and len(calls) == 2


def test_a_server_start_maps_a_stale_large_index_at_once(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        _fill(store, range(2000))
        store.vector_index()
        _fill(store, range(2000, 2010))  # changed after the last save
    held = threading.Event()
    with _store(tmp_path, lambda space: held.wait(20)) as store:
        index = store.vector_index(save=False)
        assert index.count == 2000 and _mapped(index)  # served stale, mapped, not rebuilt
        held.set()
        assert store.wait_for_index_builds(20)
        assert store.vector_index(save=False).count == 2010


def test_damaged_files_are_rebuilt(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        _fill(store, range(2000))
        built = store.vector_index()
        assert built.files is not None
        built.files.rows.write_bytes(b"junk")
    with _store(tmp_path) as store:
        again = store.vector_index()
        assert again.count == 2000 and again.stamp.files != built.stamp.files


def test_a_stale_index_of_another_model_is_never_served(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        _fill(store, range(2000))
        old = store.vector_index()
        store.catalog.drop_space("image")
        _fill(store, range(2000), seed=7, model="m:2")  # same dim, another model
        new = store.vector_index(save=False)
        assert new is not old and new.stamp.model == "m:2" and new.count == 2000


def test_a_snapshot_reads_one_moment_while_writes_go_on(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        _fill(store, range(30))
        with store.catalog.snapshot("image") as snap:
            before = snap.generation
            _fill(store, range(30, 40))  # committed on the shared connection meanwhile
            seen = sum(len(ids) for ids, _ in snap.chunks())
        assert (snap.count, seen, snap.model, snap.dim) == (30, 30, MODEL, DIM)
        assert store.catalog.generation() > before


@pytest.mark.parametrize("kind", [IVF, IVFPQ])
def test_updates_keep_the_unchanged_prefix(tmp_path: Path, data, kind: str) -> None:
    ids, rows, queries = data
    base = _build(tmp_path, kind, ids[:3000], rows[:3000])
    grown = refresh_from(Source(ids, rows, 2), tmp_path, "image", base, options(kind), save=True)
    assert grown.count == 4000 and grown.stamp.trained_count == 3000  # appended, not retrained
    assert np.array_equal(grown.vectors(ids), rows)
    shrunk = refresh_from(
        Source(ids[:3500], rows[:3500], 3), tmp_path, "image", grown, options(kind), save=True
    )
    assert shrunk.count == 3500 and np.array_equal(shrunk.vectors(ids[:3500]), rows[:3500])
    with pytest.raises(RuntimeError):
        shrunk.vectors(ids[3600:3601])
    assert shrunk.search(queries, 10)[1].max() <= ids[3499]
    same = refresh_from(
        Source(ids[:3500], rows[:3500], 4), tmp_path, "image", shrunk, options(kind), save=True
    )
    assert same.stamp.files == shrunk.stamp.files and same.stamp.generation == 4

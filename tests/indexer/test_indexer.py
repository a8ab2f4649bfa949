"""The incremental indexer with fake models: what is redone, skipped, moved, pruned, refused."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from picsift.config import Settings
from picsift.errors import ModelMismatchError, StoreLockedError
from picsift.indexer import Indexer
from picsift.store import Store
from tests.fakes import FakeModels, fake_preset


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "store", batch_size=4, decode_workers=2)


def _run(settings: Settings, roots: list[Path], models: FakeModels | None = None):
    models = models or FakeModels()
    with Store(settings.home) as store:
        report = Indexer(store, models, settings).run(roots)
        rows = store.catalog.rows_under("/")
        in_sync = store.index_in_sync()
        count = store.vector_index(save=False).count
    return report, rows, in_sync, count, models


def test_first_run_indexes_every_photo(settings: Settings, photos: Path) -> None:
    report, rows, in_sync, count, models = _run(settings, [photos])
    n = len(list(photos.glob("*.jpg")))
    assert report.indexed == n and report.complete
    assert all(r.status == "ok" and r.caption and r.sha256 for r in rows.values())
    assert in_sync and count == n
    assert models.embedder().images_seen == n


def test_report_says_where_the_time_went(settings: Settings, photos: Path) -> None:
    report, *_ = _run(settings, [photos])
    stages = report.stages.seconds
    for name in ("scan", "read", "embed", "caption", "commit", "vector index"):
        assert name in stages, name
    # the main thread runs the stages one after another: they never add up to more than the run
    assert sum(stages.values()) <= report.seconds + 1e-6


def test_the_store_says_which_runtime_made_the_vectors(settings: Settings, photos: Path) -> None:
    _run(settings, [photos])
    with Store(settings.home) as store:
        counts = store.catalog.runtime_counts("image")
        assert counts == {"torch": len(list(photos.glob("*.jpg")))}


def test_second_run_does_no_model_work(settings: Settings, photos: Path) -> None:
    _run(settings, [photos])
    report, _, in_sync, _, models = _run(settings, [photos])
    assert report.indexed == 0 and report.unchanged == len(list(photos.glob("*.jpg")))
    assert models.embedder().image_calls == 0 and models.captioner().calls == 0
    assert in_sync


def test_changed_file_is_redone_and_touched_file_only_refreshed(
    settings: Settings, photos: Path
) -> None:
    _, before, *_ = _run(settings, [photos])
    first, second = sorted(photos.glob("*.jpg"))[:2]
    Image.new("RGB", (50, 50), "red").save(first)
    os.utime(second, ns=(1, 1))
    report, after, *_ = _run(settings, [photos])
    assert report.indexed == 1 and report.refreshed == 1
    assert after[str(first)].id == before[str(first)].id
    assert after[str(first)].caption == "a mostly red picture"
    assert after[str(second)].mtime_ns == 1


def test_moved_file_keeps_its_id_without_model_work(settings: Settings, photos: Path) -> None:
    _, before, *_ = _run(settings, [photos])
    src = sorted(photos.glob("*.jpg"))[0]
    (photos / "sub").mkdir()
    dst = photos / "sub" / "renamed.jpg"
    shutil.move(src, dst)
    report, after, in_sync, count, models = _run(settings, [photos])
    assert report.moved == 1 and report.indexed == 0 and report.pruned == 0
    assert str(src) not in after and after[str(dst)].id == before[str(src)].id
    assert models.embedder().image_calls == 0
    assert in_sync and count == len(after)


def test_copies_reuse_results_and_deletions_are_pruned(settings: Settings, photos: Path) -> None:
    _run(settings, [photos])
    files = sorted(photos.glob("*.jpg"))
    shutil.copy(files[0], photos / "copy.jpg")
    files[1].unlink()
    report, after, in_sync, count, _models = _run(settings, [photos])
    assert report.copied == 1 and report.pruned == 1 and report.indexed == 0
    assert after[str(photos / "copy.jpg")].caption == after[str(files[0])].caption
    assert str(files[1]) not in after
    assert count == len(after) and in_sync


def test_bad_files_are_listed_and_never_stop_the_run(settings: Settings, photos: Path) -> None:
    good = len(list(photos.glob("*.jpg")))
    bad = photos / "bad"
    bad.mkdir()
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "notes.jpg").write_text("not a picture")
    data = next(photos.glob("*.jpg")).read_bytes()
    (bad / "truncated.jpg").write_bytes(data[: len(data) // 3])
    Image.new("CMYK", (80, 60), (0, 200, 200, 0)).save(bad / "cmyk.jpg")
    report, rows, in_sync, count, _ = _run(settings, [photos])
    reasons = dict(report.errors)
    assert set(reasons) == {str(bad / n) for n in ("empty.jpg", "notes.jpg", "truncated.jpg")}
    assert "empty" in reasons[str(bad / "empty.jpg")]
    assert "plain text" in reasons[str(bad / "notes.jpg")]
    assert "truncated" in reasons[str(bad / "truncated.jpg")]
    assert rows[str(bad / "cmyk.jpg")].status == "ok"
    assert count == good + 1 and in_sync and not report.complete
    # a re-run lists the known-bad files again without retrying them
    again, *_ = _run(settings, [photos])
    assert dict(again.errors) == reasons and again.indexed == 0


def test_a_file_turning_bad_does_not_touch_other_rows(settings: Settings, photos: Path) -> None:
    _, before, *_ = _run(settings, [photos])
    victim = sorted(photos.glob("*.jpg"))[0]
    victim.write_bytes(b"")
    _report, after, in_sync, count, _ = _run(settings, [photos])
    assert after[str(victim)].status == "error"
    assert {p: r.caption for p, r in after.items() if p != str(victim)} == {
        p: r.caption for p, r in before.items() if p != str(victim)
    }
    assert count == len(before) - 1 and in_sync


def test_pending_rows_from_a_killed_run_are_resumed(settings: Settings, photos: Path) -> None:
    files = sorted(photos.glob("*.jpg"))
    with Store(settings.home) as store:  # as a run killed after planning would leave it
        store.catalog.add_pending((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        assert store.catalog.counts()["pending"] == len(files)
    report, rows, in_sync, count, _ = _run(settings, [photos])
    assert report.indexed == len(files) and count == len(files) and in_sync
    assert len({r.id for r in rows.values()}) == len(files)


def test_another_model_is_refused_before_any_work(settings: Settings, photos: Path) -> None:
    _run(settings, [photos])
    other = FakeModels(fake_preset("other", embedder_repo="test/another-embedder"))
    with pytest.raises(ModelMismatchError, match="mixing models"):
        _run(settings, [photos], other)
    assert other.embedder().image_calls == 0


def test_second_writer_is_refused(settings: Settings, photos: Path) -> None:
    with (
        Store(settings.home) as store,
        store.writer_lock(),
        pytest.raises(StoreLockedError, match="another picsift process"),
    ):
        _run(settings, [photos])


def test_missing_root_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    from picsift.errors import PicsiftError

    with pytest.raises(PicsiftError, match="no such file or directory"):
        _run(settings, [tmp_path / "nope"])

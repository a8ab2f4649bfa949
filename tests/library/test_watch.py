"""The folder watcher: a dropped file is indexed within seconds, a burst becomes a few runs,
other files are ignored, a busy store is retried; and ``picsift watch`` end to end with the
tiny preset, through ``kill -9``."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from picsift.errors import StoreLockedError
from picsift.library.watch import FolderWatcher, WatchRun
from tests.conftest import SAMPLES


class Recorder:
    """An index run that records what the folder held each time it ran."""

    def __init__(self, fail_first: bool = False) -> None:
        self.runs: list[set[str]] = []
        self.reports: list[WatchRun] = []
        self._fail = fail_first

    def __call__(self, roots: Sequence[Path]) -> tuple[int, int, int]:
        if self._fail:
            self._fail = False
            raise StoreLockedError("another picsift process is writing")
        seen = {p.name for root in roots for p in root.rglob("*.jpg")}
        self.runs.append(seen)
        return len(seen), 0, 0


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[Callable[..., tuple[Recorder, Path]]]:
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(**options: object) -> tuple[Recorder, Path]:
        folder = tmp_path / "drop"
        folder.mkdir()
        recorder = Recorder(bool(options.pop("fail_first", False)))
        watcher = FolderWatcher([folder], recorder, **options)  # type: ignore[arg-type]
        thread = threading.Thread(target=watcher.run, args=(stop, recorder.reports.append))
        thread.start()
        threads.append(thread)
        _wait(lambda: recorder.reports, 10)  # the catch-up run: watching from here on
        return recorder, folder

    yield start
    stop.set()
    for thread in threads:
        thread.join(10)


def _wait(condition: Callable[[], object], seconds: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_dropped_file_is_indexed_within_seconds(watching) -> None:  # type: ignore[no-untyped-def]
    recorder, folder = watching(debounce=0.5)
    shutil.copy(next(SAMPLES.glob("*.jpg")), folder / "new.jpg")
    _wait(lambda: any("new.jpg" in run for run in recorder.runs), 5)


def test_a_burst_of_200_files_is_a_few_runs_and_nothing_is_missed(watching) -> None:  # type: ignore[no-untyped-def]
    recorder, folder = watching(debounce=0.5)
    data = next(SAMPLES.glob("*.jpg")).read_bytes()
    for n in range(200):
        (folder / f"{n:03d}.jpg").write_bytes(data)
    _wait(lambda: recorder.runs and len(recorder.runs[-1]) == 200, 15)
    assert len(recorder.runs) <= 10  # one catch-up plus a handful, not one per file


def test_other_files_start_no_run(watching) -> None:  # type: ignore[no-untyped-def]
    recorder, folder = watching(debounce=0.2)
    (folder / "notes.txt").write_text("x")
    (folder / ".hidden.jpg").write_bytes(b"x")
    (folder / "photo.jpg.xmp").write_text("<x/>")  # picsift export's own sidecar
    time.sleep(1.0)
    assert len(recorder.runs) == 1  # the catch-up only


def test_a_busy_store_is_retried(watching) -> None:  # type: ignore[no-untyped-def]
    recorder, _ = watching(debounce=0.2, retry=0.3, fail_first=True)
    assert recorder.reports[0].failure and "another picsift" in recorder.reports[0].failure
    _wait(lambda: recorder.runs, 5)  # nothing changed, yet it ran once the store was free


def _count(home: Path) -> tuple[int, int]:
    """(indexed, pending) rows, read as another process would."""
    db = home / "catalog.db"
    if not db.exists():
        return 0, 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        rows = dict(conn.execute("SELECT status, count(*) FROM images GROUP BY status"))
    return rows.get("ok", 0), rows.get("pending", 0)


def _watch(folder: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "picsift", "watch", str(folder), "-m", "tiny"]
    with open(log, "wb") as out:
        return subprocess.Popen(
            [*command, "--debounce", "0.5"], stdout=out, stderr=subprocess.STDOUT, env=os.environ
        )


@pytest.mark.usefixtures("tiny_env")
def test_picsift_watch_end_to_end_through_kill_9(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    home = Path(os.environ["PICSIFT_HOME"])
    log = tmp_path / "watch.log"
    samples = sorted(SAMPLES.glob("*.jpg"))
    proc = _watch(folder, log)
    try:
        _wait(lambda: b"start:" in log.read_bytes(), 120)  # models loaded, caught up
        shutil.copy(samples[0], folder / "first.jpg")
        took = _wait(lambda: _count(home)[0] == 1, 10)
        assert took < 10, log.read_text()
        for n, sample in enumerate(samples * 3):  # a burst, killed in the middle
            shutil.copy(sample, folder / f"burst{n:02d}-{sample.name}")
        _wait(lambda: _count(home)[1] > 0 or _count(home)[0] > 1, 20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc = _watch(folder, log)
        total = 1 + len(samples) * 3
        _wait(lambda: _count(home) == (total, 0), 120)
    finally:
        proc.kill()
        proc.wait(10)

"""Index a folder as a generator fills it: filesystem events, debounced, then ``index``.

watchdog reports files created, modified, moved and deleted under the watched folders
(inotify on Linux, FSEvents on macOS). A file is indexed once no event has touched it for
``debounce`` seconds, so a generator that writes a PNG in several steps is read once,
whole. Every run is the ordinary ``index`` of the watched folders (:mod:`picsift.indexer`):
unchanged files cost a stat, deleted ones are pruned, and a run killed at any point
(``kill -9``) resumes from the catalog on the next start, which always begins with a full
run to catch up on what happened while nothing watched.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from picsift.errors import PicsiftError, StoreLockedError
from picsift.indexer.scan import SCANNED_EXTENSIONS


@dataclass(frozen=True)
class WatchRun:
    """One indexing run the watcher started: why, and what it did or why it failed."""

    reason: str  # "start" or "changes"
    changed: int  # files the events named
    indexed: int = 0
    pruned: int = 0
    errors: int = 0
    seconds: float = 0.0
    failure: str | None = None


IndexRun = Callable[[Sequence[Path]], tuple[int, int, int]]  # -> (indexed, pruned, errors)


class _Changes(FileSystemEventHandler):
    """Remembers when each image path was last touched; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._touched: dict[str, float] = {}

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or event.is_directory:
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = os.fsdecode(raw) if raw else ""
            if path and _wanted(path):
                with self._lock:
                    self._touched[path] = time.monotonic()

    def settled(self, debounce: float) -> list[str]:
        """Paths untouched for ``debounce`` seconds, removed from the pending set."""
        now = time.monotonic()
        with self._lock:
            done = [p for p, t in self._touched.items() if now - t >= debounce]
            for path in done:
                del self._touched[path]
        return done

    def pending(self) -> int:
        with self._lock:
            return len(self._touched)


def _wanted(path: str) -> bool:
    name = os.path.basename(path)
    return not name.startswith(".") and Path(name).suffix.lower() in SCANNED_EXTENSIONS


class FolderWatcher:
    """Watches ``roots`` and calls ``index_run`` with them whenever changes settle."""

    def __init__(
        self,
        roots: Sequence[Path],
        index_run: IndexRun,
        *,
        debounce: float = 2.0,
        retry: float = 5.0,
    ) -> None:
        missing = [str(r) for r in roots if not Path(r).is_dir()]
        if missing:
            raise PicsiftError(f"cannot watch {', '.join(missing)}: not a folder")
        self.roots = [Path(os.path.abspath(r)) for r in roots]
        self._index_run = index_run
        self._debounce = debounce
        self._retry = retry
        self._changes = _Changes()

    @property
    def pending(self) -> int:
        return self._changes.pending()

    def run(
        self,
        stop: threading.Event,
        report: Callable[[WatchRun], None],
        warm: Callable[[], None] | None = None,
    ) -> None:
        """Catch up, then index settled changes until ``stop`` is set. ``warm`` (loading the
        models) runs first, while events already queue; the "start" report means ready."""
        observer = Observer()
        for root in self.roots:
            observer.schedule(self._changes, str(root), recursive=True)
        observer.start()
        try:
            if warm is not None:
                warm()
            due = self._once("start", 0, report)
            while not stop.wait(min(0.5, self._debounce / 2)):
                settled = self._changes.settled(self._debounce)
                if settled or (due and time.monotonic() >= due):
                    due = self._once("changes", len(settled), report)
        finally:
            observer.stop()
            observer.join(timeout=5)

    def _once(self, reason: str, changed: int, report: Callable[[WatchRun], None]) -> float:
        """One index run; returns when to try again if it could not run (0: no retry)."""
        started = time.perf_counter()
        try:
            indexed, pruned, errors = self._index_run(self.roots)
        except StoreLockedError as exc:  # another writer (an index, a cluster run): later
            report(WatchRun(reason, changed, failure=str(exc)))
            return time.monotonic() + self._retry
        except PicsiftError as exc:
            report(WatchRun(reason, changed, failure=str(exc)))
            return time.monotonic() + self._retry
        seconds = time.perf_counter() - started
        report(WatchRun(reason, changed, indexed, pruned, errors, seconds))
        return 0.0

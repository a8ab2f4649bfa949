"""``picsift serve --watch DIR``: the folder watcher (:mod:`picsift.library.watch`) inside the
server, on its own thread, indexing with the server's models and decode workers.

Each run opens its own store connection and leaves the vector index to the server's store,
as an upload does; the library page and ``GET /watch`` show what it is doing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from picsift.config import Settings
from picsift.imaging.sandbox import ImageDecoder
from picsift.indexer import Indexer
from picsift.library.service import LibraryService
from picsift.library.watch import FolderWatcher, WatchRun
from picsift.models.provider import ModelSource
from picsift.store import Store

HISTORY = 20  # runs the status keeps


@dataclass(frozen=True)
class WatchStatus:
    folders: list[str]
    runs: int = 0
    indexed: int = 0  # pictures indexed since the server started
    waiting: int = 0  # files changed, not yet left alone long enough to index
    last: WatchRun | None = None
    history: list[WatchRun] = field(default_factory=list)


class Watching:
    def __init__(self, settings: Settings, models: ModelSource, decoder: ImageDecoder) -> None:
        self._settings = settings
        self._models = models
        self._decoder = decoder
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._runs: list[WatchRun] = []  # the latest, newest last
        self._count = 0
        self._indexed = 0
        self._watcher: FolderWatcher | None = None
        if settings.watch:  # a folder that is not there fails the start, with its name
            self._watcher = FolderWatcher(
                settings.watch, self._index, debounce=settings.watch_debounce
            )

    def start(self) -> None:
        if self._watcher is None or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._watcher.run,
            args=(self._stop, self._record),
            kwargs={"warm": self._warm},
            name="picsift-watch",
            daemon=True,
        )
        self._thread.start()

    def _warm(self) -> None:
        with Store.open(self._settings) as store:
            Indexer(store, self._models, self._settings, decoder=self._decoder).warm()

    def _index(self, roots: Sequence[Path]) -> tuple[int, int, int]:
        with Store.open(self._settings) as store:
            indexer = Indexer(store, self._models, self._settings, decoder=self._decoder)
            report = (
                LibraryService(store)
                .index(indexer, self._models, self._settings, roots, update_index=False)
                .report
            )
        return report.indexed, report.pruned, len(report.errors)

    def _record(self, run: WatchRun) -> None:
        with self._lock:
            self._runs = [*self._runs[-(HISTORY - 1) :], run]
            self._count += 1
            self._indexed += run.indexed

    def status(self) -> WatchStatus | None:
        if self._watcher is None:
            return None
        with self._lock:
            runs, count, indexed = list(self._runs), self._count, self._indexed
        return WatchStatus(
            [str(r) for r in self._watcher.roots],
            count,
            indexed,
            self._watcher.pending,
            runs[-1] if runs else None,
            runs[::-1],
        )

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

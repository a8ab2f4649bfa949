"""One worker thread per store that brings stale indexes up to date while searches go on.

Requests are per space and idempotent: asking again while a build of that space is queued
or running does nothing, so every search may ask. After a build the space rests
``pause_seconds`` (a writer that commits every few seconds does not keep the cores busy with
back-to-back updates); after a failure ``retry_seconds``, and the failure is logged: the old
index keeps serving meanwhile. The thread exists only while there is work, runs FAISS on
all cores but one (searches keep a core), and is a daemon: a build interrupted by the end of
the process leaves only temporary files, as its stamp is written last.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import faiss

log = logging.getLogger("picsift.store")


class BackgroundBuilds:
    def __init__(
        self,
        build: Callable[[str], None],
        *,
        pause_seconds: float,
        retry_seconds: float,
        before_build: Callable[[str], None] | None = None,
    ) -> None:
        """``build(space)`` does the work and swaps the result in; ``before_build(space)``
        runs first in the worker thread (tests hold a build there, or make it fail)."""
        self._build = build
        self._before = before_build
        self._pause = pause_seconds
        self._retry = retry_seconds
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: list[str] = []
        self._running: str | None = None
        self._thread: threading.Thread | None = None
        self._not_before: dict[str, float] = {}
        self.failures = 0
        self.stopping = threading.Event()

    def request(self, space: str) -> bool:
        """Queue a build of ``space`` unless one is queued or running, the space is resting,
        or the store is closing; True when queued."""
        with self._lock:
            if (
                self.stopping.is_set()
                or space in self._queue
                or space == self._running
                or time.monotonic() < self._not_before.get(space, 0.0)
            ):
                return False
            self._queue.append(space)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="picsift-index-build", daemon=True
                )
                self._thread.start()
            return True

    def busy(self, space: str) -> bool:
        with self._lock:
            return space == self._running or space in self._queue

    def wait(self, timeout: float | None = None) -> bool:
        """Until no build is queued or running; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._queue and self._running is None, timeout
            )

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the current chunk of work; wait for it up to ``timeout`` seconds."""
        self.stopping.set()
        with self._lock:
            self._queue.clear()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _work(self) -> None:
        faiss.omp_set_num_threads(max(1, (os.cpu_count() or 1) - 1))  # this thread only
        while True:
            with self._lock:
                if not self._queue or self.stopping.is_set():
                    self._thread = None
                    self._changed.notify_all()
                    return
                space = self._running = self._queue.pop(0)
            rest = self._pause
            try:
                if self._before is not None:
                    self._before(space)
                self._build(space)
            except Exception as exc:
                if not self.stopping.is_set():
                    rest = self._retry
                    self.failures += 1
                    log.error(
                        "background build of the %s index failed (%s: %s); still serving "
                        "the previous one, retrying in %.0f s",
                        space,
                        type(exc).__name__,
                        exc,
                        rest,
                        exc_info=True,
                    )
            with self._lock:
                self._not_before[space] = time.monotonic() + rest
                self._running = None
                self._changed.notify_all()

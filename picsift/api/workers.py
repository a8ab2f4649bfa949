"""A bounded worker pool: blocking work leaves the event loop, and overload is refused early.

Inference, search, decoding and SQLite calls block for milliseconds to seconds. Running them
on the event loop would freeze every other request (health checks included), and handing
them to an unbounded queue would let a burst pile up minutes of work that clients have long
given up on. So the pool admits at most ``workers + queue`` jobs; the next one is refused at
once with :class:`PoolBusyError` (HTTP 503 + ``Retry-After``) and the client retries.

A slot is released when the job itself finishes, not when the awaiting request goes away:
a client that disconnects cannot free capacity that a thread is still using.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class PoolBusyError(Exception):
    """Every worker is busy and the waiting line is full; the client should retry shortly."""

    retry_after = 1  # seconds, sent as the Retry-After header


class WorkerPool:
    """``workers`` threads plus an admission limit of ``queue`` waiting jobs."""

    def __init__(self, workers: int, queue: int) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("workers must be >= 1 and queue >= 0")
        self.workers = workers
        self.capacity = workers + queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="picsift-api")
        # Guards only an integer, never held across a wait: the event loop never blocks on it.
        # A threading lock (not asyncio) because slots are released from worker threads.
        self._lock = threading.Lock()
        self._active = 0

    @property
    def active(self) -> int:
        """Jobs admitted and not yet finished (running plus waiting)."""
        return self._active

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in a worker thread and await its result, or raise PoolBusyError now."""
        with self._lock:
            if self._active >= self.capacity:
                raise PoolBusyError(f"all {self.capacity} worker slots are busy")
            self._active += 1
        try:
            future = self._executor.submit(fn, *args, **kwargs)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(self._release)
        # Cancelling the awaiting task cancels a job that has not started yet; a running one
        # finishes and releases its slot through the callback above.
        return await asyncio.wrap_future(future)

    def _release(self, _future: Future[Any] | None = None) -> None:
        with self._lock:
            self._active -= 1

    def shutdown(self) -> None:
        """Drop jobs that have not started and wait for the running ones."""
        self._executor.shutdown(wait=True, cancel_futures=True)

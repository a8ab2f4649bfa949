"""A bounded worker pool: blocking work leaves the event loop, and overload is refused early.

Inference, search, decoding and SQLite calls block for milliseconds to seconds. Running them
on the event loop would freeze every other request (health checks included), and handing
them to an unbounded queue would let a burst pile up minutes of work that clients have long
given up on. So a job is refused at once with :class:`PoolBusyError` (HTTP 503 +
``Retry-After``) when its predicted wait passes ``deadline`` seconds: the jobs ahead of it
times the measured service time (the median of the last ``WINDOW`` jobs, so one slow job, a
cold start, does not turn a burst away), shared among the workers. A fixed
queue length would refuse a burst of cheap searches that would all be answered in time
(16 clients in a tight loop got 95 % 503s with a queue of 8, and answering them cost more
CPU than the searches it saved). ``workers + queue`` stays as a hard cap on memory.

A slot is released when the job itself finishes, not when the awaiting request goes away:
a client that disconnects cannot free capacity that a thread is still using.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
WINDOW = 32  # jobs whose median service time predicts the wait
T = TypeVar("T")


class PoolBusyError(Exception):
    """The predicted wait passes the deadline (or the hard cap is reached); the client should
    retry after ``retry_after`` seconds (sent as the Retry-After header)."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WorkerPool:
    """``workers`` threads; a job waits only when its predicted wait is within ``deadline``
    seconds, and at most ``queue`` wait in any case."""

    def __init__(
        self, workers: int, queue: int, deadline: float = 2.0, first_guess: float = 0.05
    ) -> None:
        """``first_guess``: seconds per job assumed until one was measured."""
        if workers < 1 or queue < 0 or deadline <= 0:
            raise ValueError("workers must be >= 1, queue >= 0 and deadline > 0")
        self.workers = workers
        self.capacity = workers + queue
        self.deadline = deadline
        self._first_guess = first_guess
        self._recent: deque[float] = deque(maxlen=WINDOW)  # seconds of the last jobs
        self._service = first_guess  # their median
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="picsift-api")
        # Guards only an integer, never held across a wait: the event loop never blocks on it.
        # A threading lock (not asyncio) because slots are released from worker threads.
        self._lock = threading.Lock()
        self._active = 0

    @property
    def active(self) -> int:
        """Jobs admitted and not yet finished (running plus waiting)."""
        return self._active

    def forget_times(self) -> None:
        """Drop the service times measured so far: the start-up's model loads and warm-ups
        take seconds and say nothing about a request's cost."""
        with self._lock:
            self._recent.clear()
            self._service = self._first_guess

    def predicted_wait(self) -> float:
        """Seconds a job admitted now would wait before a worker starts it."""
        ahead = max(0, self._active - self.workers + 1)
        return ahead * self._service / self.workers

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in a worker thread and await its result, or raise PoolBusyError now."""
        with self._lock:
            wait = self.predicted_wait()
            if self._active >= self.capacity or wait > self.deadline:
                retry = max(1, math.ceil(wait - self.deadline))
                raise PoolBusyError(
                    f"{self._active} jobs are ahead (about {wait:.1f} s of work)", retry
                )
            self._active += 1
        try:
            future = self._executor.submit(self._timed, fn, *args, **kwargs)
        except BaseException:
            self._release()
            raise
        future.add_done_callback(self._release)
        # Cancelling the awaiting task cancels a job that has not started yet; a running one
        # finishes and releases its slot through the callback above.
        return await asyncio.wrap_future(future)

    def _timed(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent = time.perf_counter() - started
            with self._lock:
                self._recent.append(spent)
                self._service = statistics.median(self._recent)

    def _release(self, _future: Future[Any] | None = None) -> None:
        with self._lock:
            self._active -= 1

    def shutdown(self) -> None:
        """Drop jobs that have not started and wait for the running ones."""
        self._executor.shutdown(wait=True, cancel_futures=True)

"""Edit jobs: edits take seconds to minutes on a CPU, so the API queues them and answers at once.

One worker thread runs the jobs in order (an edit already uses every core). At most
``queue`` jobs wait; the next is refused with :class:`~picsift.errors.EditBusyError`, whose
``retry_after`` is the predicted wait from the measured duration of recent jobs. Each job's
state is a catalog row, written when it changes: a job that was queued or running when the
server stopped (a restart, ``kill -9``) reads ``interrupted`` at the next start and can be run
again. What an interrupted edit left on disk is swept by the edit service before the next one.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from picsift.errors import EditBusyError, EditError, PicsiftError
from picsift.store.ports import EditRepository
from picsift.store.records import EditJobRecord

log = logging.getLogger("picsift.edit")

# runs one job's request; reports (units done, units in all); returns (variant ids, result)
Runner = Callable[[dict[str, Any], Callable[[int, int], None]], tuple[list[int], dict[str, Any]]]
_PROGRESS_EVERY = 0.5  # seconds between progress writes
_FIRST_GUESS = 30.0  # seconds a job is assumed to take before one was measured


class Stopping(Exception):
    """Raised inside a running edit when the server shuts down."""


class EditJobs:
    def __init__(self, records: EditRepository, runner: Runner, queue_limit: int) -> None:
        self._records = records
        self._runner = runner
        self._limit = queue_limit
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._waiting = 0
        self._stop = threading.Event()
        self._seconds = _FIRST_GUESS  # moving average of a job's duration
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        """Mark jobs a previous process left unfinished as interrupted, then start the
        worker; returns how many were interrupted."""
        interrupted = self._records.interrupt_unfinished()
        self._thread = threading.Thread(target=self._work, name="picsift-edit", daemon=True)
        self._thread.start()
        return interrupted

    def close(self) -> None:
        """Stop after the running job's current step (it reads ``interrupted``)."""
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def submit(self, request: dict[str, Any]) -> EditJobRecord:
        job = EditJobRecord(id=uuid.uuid4().hex, status="queued", request=request)
        self._admit(job)
        return job

    def retry(self, job_id: str) -> EditJobRecord:
        """Queue an interrupted or failed job again under its id."""
        job = self._records.job(job_id)
        if job is None:
            raise EditError(f"no edit job '{job_id}'")
        if job.status not in ("interrupted", "failed"):
            raise EditError(
                f"edit job '{job_id}' is {job.status}; only an interrupted or failed "
                "job can be run again"
            )
        again = replace(job, status="queued", done=0, total=0, error=None, variant_ids=())
        self._admit(again)
        return again

    def get(self, job_id: str) -> EditJobRecord | None:
        return self._records.job(job_id)

    def _admit(self, job: EditJobRecord) -> None:
        with self._lock:
            if self._waiting >= self._limit + 1:  # the running one plus ``limit`` waiting
                wait = max(1, round(self._seconds * self._waiting))
                raise EditBusyError(
                    f"{self._waiting} edit jobs are ahead; try again in about {wait} s", wait
                )
            self._records.save_job(job)
            self._waiting += 1
        self._queue.put(job.id)

    def _work(self) -> None:
        while not self._stop.is_set():
            job_id = self._queue.get()
            if job_id is None:
                break
            try:
                self._run(job_id)
            except Exception:  # a bug in one job must not stop the worker
                log.exception("edit job %s failed", job_id)
            finally:
                with self._lock:
                    self._waiting -= 1

    def _run(self, job_id: str) -> None:
        job = self._records.job(job_id)
        if job is None or job.status != "queued":
            return
        job = replace(job, status="running")
        self._records.save_job(job)
        started = time.monotonic()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if self._stop.is_set():
                raise Stopping()
            now = time.monotonic()
            if now - last[0] >= _PROGRESS_EVERY:
                last[0] = now
                self._records.save_job(replace(job, done=done, total=total))

        try:
            ids, result = self._runner(job.request, progress)
        except Stopping:
            self._records.save_job(replace(job, status="interrupted"))
            return
        except PicsiftError as exc:
            self._records.save_job(replace(job, status="failed", error=str(exc)))
            return
        except Exception as exc:
            log.exception("edit job %s failed", job_id)
            self._records.save_job(
                replace(job, status="failed", error=f"internal error: {type(exc).__name__}")
            )
            return
        self._seconds = 0.7 * self._seconds + 0.3 * (time.monotonic() - started)
        done = replace(job, status="done", done=1, total=1, variant_ids=tuple(ids), result=result)
        self._records.save_job(done)

"""Edit jobs: queued, run one at a time, refused when full, interrupted by a stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from picsift.edit.jobs import EditJobs
from picsift.errors import EditBusyError, EditError
from picsift.store import Store
from picsift.store.records import EditJobRecord


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "home") as store:
        yield store


def _wait(jobs: EditJobs, job_id: str, status: str) -> EditJobRecord:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job is not None and job.status == status:
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never became {status}: {jobs.get(job_id)}")


class Gate:
    """A runner that waits for the test to open it, reporting progress while it waits."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.started = threading.Event()
        self.runs: list[dict[str, Any]] = []

    def __call__(
        self, request: dict[str, Any], progress: Callable[[int, int], None]
    ) -> tuple[list[int], dict[str, Any]]:
        self.runs.append(request)
        self.started.set()
        while not self.open.wait(0.01):
            progress(1, 4)
        if request.get("fail"):
            raise EditError("the picture changed")
        return [41], {"items": [{"image_id": 1, "variant_id": 41}]}


def test_a_job_runs_and_records_its_variants(store: Store) -> None:
    gate = Gate()
    jobs = EditJobs(store.edits, gate, queue_limit=2)
    jobs.start()
    try:
        job = jobs.submit({"image_ids": [1]})
        gate.started.wait(5)
        running = _wait(jobs, job.id, "running")
        assert running.request == {"image_ids": [1]}
        gate.open.set()
        done = _wait(jobs, job.id, "done")
        assert done.variant_ids == (41,) and done.result["items"]
    finally:
        jobs.close()


def test_a_full_queue_refuses_with_a_predicted_wait(store: Store) -> None:
    gate = Gate()
    jobs = EditJobs(store.edits, gate, queue_limit=1)
    jobs.start()
    try:
        jobs.submit({"n": 1})
        gate.started.wait(5)
        jobs.submit({"n": 2})  # waits behind the running one
        with pytest.raises(EditBusyError) as refused:
            jobs.submit({"n": 3})
        assert refused.value.retry_after >= 1
        gate.open.set()
    finally:
        jobs.close()


def test_a_failed_job_says_why_and_can_run_again(store: Store) -> None:
    gate = Gate()
    gate.open.set()
    jobs = EditJobs(store.edits, gate, queue_limit=2)
    jobs.start()
    try:
        job = jobs.submit({"fail": True})
        failed = _wait(jobs, job.id, "failed")
        assert failed.error == "the picture changed"
        jobs.retry(job.id)
        _wait(jobs, job.id, "failed")
        assert len(gate.runs) == 2
        with pytest.raises(EditError, match="no edit job"):
            jobs.retry("0" * 32)
    finally:
        jobs.close()


def test_a_stop_interrupts_the_running_job_and_a_restart_says_so(store: Store) -> None:
    gate = Gate()
    jobs = EditJobs(store.edits, gate, queue_limit=2)
    jobs.start()
    job = jobs.submit({"n": 1})
    gate.started.wait(5)
    waiting = jobs.submit({"n": 2})
    jobs.close()
    assert jobs.get(job.id).status == "interrupted"  # type: ignore[union-attr]
    # the waiting job is still "queued" on disk, as after kill -9: the next start says so
    again = EditJobs(store.edits, gate, queue_limit=2)
    assert again.start() == 1
    try:
        assert again.get(waiting.id).status == "interrupted"  # type: ignore[union-attr]
        with pytest.raises(EditError, match="only an interrupted or failed"):
            gate.open.set()
            done = again.retry(job.id)
            _wait(again, done.id, "done")
            again.retry(job.id)
    finally:
        again.close()

"""The bounded worker pool: overload is refused at once with 503 + Retry-After."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import httpx
import numpy as np
import pytest

from picsift.api.workers import PoolBusyError, WorkerPool
from tests.api.helpers import MakeClient, error_code
from tests.fakes import FakeEmbedder, FakeModels


class _BlockingEmbedder(FakeEmbedder):
    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self.gate = gate

    def _forward_texts(self, batch: Sequence[str]) -> np.ndarray:  # type: ignore[override]
        assert self.gate.wait(timeout=20), "test gate never opened"
        return super()._forward_texts(list(batch))


class BlockingModels(FakeModels):
    """Text queries block inside the (fake) model until the test opens the gate."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self._embedder = _BlockingEmbedder(gate)
        self._embedder.model_id = self.preset.embedder.model_id


def _wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_saturated_pool_answers_503_with_retry_after(make_client: MakeClient) -> None:
    gate = threading.Event()
    client = make_client(models=BlockingModels(gate), api_workers=1, api_queue=1)
    pool = client.app.state.picsift.pool  # type: ignore[attr-defined]
    results: list[httpx.Response] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.get("/search?q=red")))
        for _ in range(2)
    ]
    try:
        for thread in threads:
            thread.start()
        _wait_for(lambda: pool.active == 2)  # one running (blocked), one waiting
        started = time.monotonic()
        refused = client.get("/search?q=blue")
        assert time.monotonic() - started < 2.0  # answered at once, not queued
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert error_code(refused) == "busy"
        assert client.get("/health").status_code == 200  # monitors still get an answer
    finally:
        gate.set()
        for thread in threads:
            thread.join(timeout=20)
    assert [r.status_code for r in results] == [200, 200]
    _wait_for(lambda: pool.active == 0)
    assert client.get("/search?q=blue").status_code == 200


def test_pool_admits_workers_plus_queue_and_releases_slots() -> None:
    async def scenario() -> None:
        pool = WorkerPool(workers=1, queue=1)
        gate = threading.Event()
        first = asyncio.ensure_future(pool.run(gate.wait, 10))
        second = asyncio.ensure_future(pool.run(lambda: 42))
        await asyncio.sleep(0)
        assert pool.active == 2
        with pytest.raises(PoolBusyError):
            await pool.run(lambda: 0)
        gate.set()
        assert await first is True and await second == 42
        with pytest.raises(ZeroDivisionError):
            await pool.run(lambda: 1 / 0)
        assert pool.active == 0
        pool.shutdown()

    asyncio.run(scenario())


def test_a_job_waits_while_its_predicted_wait_is_within_the_deadline() -> None:
    async def scenario() -> None:
        pool = WorkerPool(workers=1, queue=100, deadline=0.45, first_guess=0.1)
        gate = threading.Event()
        running = asyncio.ensure_future(pool.run(gate.wait, 10))
        waiting = [asyncio.ensure_future(pool.run(lambda: 7)) for _ in range(4)]
        await asyncio.sleep(0)
        # the fifth waited behind four (0.4 s, within the deadline); a sixth would wait 0.5 s
        assert pool.active == 5 and pool.predicted_wait() == pytest.approx(0.5)
        with pytest.raises(PoolBusyError) as refused:
            await pool.run(lambda: 0)
        assert refused.value.retry_after == 1
        gate.set()
        assert await running is True and [await w for w in waiting] == [7] * 4
        pool.shutdown()

    asyncio.run(scenario())


def test_the_service_time_is_measured_and_moves_the_prediction() -> None:
    async def scenario() -> None:
        pool = WorkerPool(workers=2, queue=100, deadline=1.0, first_guess=0.01)
        await pool.run(time.sleep, 0.3)
        assert pool.predicted_wait() == 0.0  # a free worker: no wait
        gate = threading.Event()
        busy = [asyncio.ensure_future(pool.run(gate.wait, 10)) for _ in range(2)]
        await asyncio.sleep(0)
        assert pool.predicted_wait() > 0.01 / 2  # the 0.3 s job raised the average
        gate.set()
        for job in busy:
            await job
        pool.shutdown()

    asyncio.run(scenario())


def test_start_up_times_are_forgotten() -> None:
    async def scenario() -> None:
        pool = WorkerPool(workers=1, queue=100, deadline=1.0, first_guess=0.01)
        await pool.run(time.sleep, 0.3)  # a model load
        gate = threading.Event()
        blocked = asyncio.ensure_future(pool.run(gate.wait, 10))
        await asyncio.sleep(0)
        assert pool.predicted_wait() == pytest.approx(0.3, abs=0.05)
        pool.forget_times()
        assert pool.predicted_wait() == pytest.approx(0.01)
        gate.set()
        await blocked
        pool.shutdown()

    asyncio.run(scenario())

"""Per-stage seconds: they add up to the run, and waiting on a generator keeps its clean-up."""

from __future__ import annotations

import time
from collections.abc import Iterator

from picsift.indexer.timing import Stopwatch


def test_stages_accumulate_and_shares_name_the_rest() -> None:
    clock = Stopwatch()
    with clock.stage("a"):
        time.sleep(0.01)
    with clock.stage("a"):
        time.sleep(0.01)
    clock.add("b", 0.5)
    assert clock.seconds["a"] >= 0.02
    shares = clock.shares(1.0)
    assert shares["b"] == 0.5
    assert abs(sum(shares.values()) - 1.0) < 1e-9
    assert shares["other"] > 0
    assert Stopwatch().shares(0) == {}


def test_waiting_charges_the_wait_and_closes_the_source() -> None:
    closed = []

    def slow() -> Iterator[int]:
        try:
            for i in range(5):
                time.sleep(0.01)
                yield i
        finally:
            closed.append(True)

    clock = Stopwatch()
    for i in clock.waiting(slow(), "read"):
        if i == 2:
            break
    assert closed == [True]
    assert clock.seconds["read"] >= 0.03

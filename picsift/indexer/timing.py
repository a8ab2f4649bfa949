"""Wall seconds per indexing stage, so a user sees where a run's time went.

A slow run has one cause that matters (captioning, decoding that cannot keep up, commits, the
vector index) and the fix differs for each: a faster captioner runtime, more decode workers, a
bigger batch. The indexer's main thread runs the stages one after another, so their seconds add
up to the run's wall time; work in the decode threads overlaps them and shows up only as
``read`` (the main thread waiting for a decoded file).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class Stopwatch:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def waiting(self, items: Iterator[T], name: str) -> Iterator[T]:
        """``items`` unchanged, with the time spent waiting for each one charged to ``name``."""
        try:
            while True:
                started = time.perf_counter()
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    self.add(name, time.perf_counter() - started)
                yield item
        finally:
            close = getattr(items, "close", None)
            if close is not None:  # a generator's own clean-up (cancelling reads) runs now
                close()

    def shares(self, total: float) -> dict[str, float]:
        """Each stage's fraction of ``total``, with the untimed rest as ``other``."""
        if total <= 0:
            return {}
        shares = {name: s / total for name, s in self.seconds.items()}
        rest = total - sum(self.seconds.values())
        if rest > 0:
            shares["other"] = rest / total
        return shares

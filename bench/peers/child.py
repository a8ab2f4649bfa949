"""What every runner shares: stdlib and numpy only, because each runs in its own tool's venv.

A runner is ``python run_<tool>.py '<json args>'``; it prints its result as one line
``RESULT {json}`` on stdout (the tools print their own chatter too), with the process's own
peak RSS (``ru_maxrss``) added.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

MARK = "RESULT "
TOP_K = 10


def args() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(sys.argv[1])
    return value


def emit(result: dict[str, Any]) -> None:
    result["rss_self_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["rss_children_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    print(MARK + json.dumps(result), flush=True)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def query_times(fn: Callable[[str], Sequence[Any]], queries: Sequence[str]) -> dict[str, Any]:
    """One warm-up query, then each query once: milliseconds per query, and the top-10 count
    of the last (every tool must really return 10 results)."""
    fn("warm up")
    times, found = [], 0
    for q in queries:
        start = time.perf_counter()
        found = len(fn(q))
        times.append((time.perf_counter() - start) * 1000)
    return {"ms": [round(t, 3) for t in times], "found": found}


def unit(vector: Any) -> list[float]:
    """A text vector as a plain unit-length list (for the same-weights check)."""
    import numpy as np

    v = np.asarray(vector, dtype=np.float64).reshape(-1)
    return [round(float(x), 6) for x in v / np.linalg.norm(v)]


def synthetic_path(root: str, i: int) -> str:
    """Synthetic rows' file names: 1,000 per folder, the same for every tool."""
    return os.path.join(root, str(i // 1000), f"img{i}.jpg")


def count_files(folder: str) -> int:
    return sum(1 for p in Path(folder).iterdir() if p.suffix.lower() == ".jpg")

"""Load test: a real ``picsift serve`` (uvicorn) on loopback under concurrent clients.

1. ``GET /search`` from ``--clients`` concurrent clients (default 32) for ``--duration``
   seconds (default 60), queries drawn from a fixed list (plain words, arithmetic, ``#id``).
2. ``POST /describe`` from ``--describe-clients`` concurrent uploads (default 12, several
   times ``PICSIFT_API_WORKERS``) for ``--describe-duration`` seconds, the sample photos.

The store holds the sample photos (``data/samples``), indexed with the ``tiny`` preset (real
model code at toy size, built locally; ``--models fake`` serves the test fakes instead, which
measures the server alone). Clients honour ``Retry-After`` as documented (``--no-backoff``
retries at once instead).

Reported per phase: requests served, answers by status, 5xx, dropped connections (transport
errors and time-outs), overload answers (429/503) with and without ``Retry-After`` and how
fast they came (target: within 100 ms), p50/p99 latency of served requests, and the server's
RSS after a warm-up and at the end (target: growth under 10 %). The load clients share the
machine with the server, so on a small box their own latencies include their waiting for
CPU: a separate probe process (``probe`` in each phase) asks /health and the phase's request
every 50 ms, which shows the server's latency alone. Written to ``bench/results/load.json``.

Run: ``.venv/bin/python bench/bench_load.py [--duration 60] [--clients 32] [--models tiny]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"
RESULTS = REPO / "bench" / "results"
QUERIES = [
    "a red dress",
    "shoes",
    "a hat",
    "blue jeans",
    "white t-shirt on a hanger",
    "something to wear in winter",
    '"2:red" + "dress" - "black"',
    "#3",
    '#7 + "blue"',
    "skirt",
    "a pair of sneakers",
    "long sleeves",
]
BUSY = (429, 503)
WARMUP_SECONDS = 5.0

# --models fake: the app with the test fakes at the model boundary, under uvicorn.
FAKE_SERVER = """
import sys
sys.path.insert(0, sys.argv[3])
import uvicorn
from pathlib import Path
from picsift.app import create_app
from picsift.config import Settings
from tests.fakes import FakeModels
app = create_app(Settings(home=Path(sys.argv[1])), FakeModels())
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


# A separate process (its own CPU time, not the load clients' event loop) asks every 50 ms,
# in turn, GET /health (no worker needed) and the phase's own request: the latencies it sees
# are the server's, without the load generator's overhead.
PROBE = """
import json, sys, time
import httpx
base, seconds, out, kind = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
photo = open(sys.argv[5], "rb").read()
seen = []
deadline = time.monotonic() + seconds
with httpx.Client(base_url=base, timeout=60) as http:
    n = 0
    while time.monotonic() < deadline:
        n += 1
        started = time.perf_counter()
        try:
            if n % 2:
                r = http.get("/health")
                name = "health"
            elif kind == "search":
                r = http.get("/search", params={"q": "a red dress"})
                name = "search"
            else:
                r = http.post("/describe", files={"file": ("p.jpg", photo, "image/jpeg")})
                name = "describe"
            seen.append((name, r.status_code, (time.perf_counter() - started) * 1000))
        except httpx.TransportError:
            seen.append((name, 0, 0.0))
        time.sleep(0.05)
open(out, "w").write(json.dumps(seen))
"""


@dataclass
class Phase:
    name: str
    clients: int
    seconds: float
    ok_ms: list[float] = field(default_factory=list)
    busy_ms: list[float] = field(default_factory=list)
    busy_without_retry_after: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    rss_kb: list[tuple[float, int]] = field(default_factory=list)
    probe: list[tuple[str, int, float]] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        def pct(values: list[float], q: float) -> float | None:
            if not values:
                return None
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

        after_warmup = [kb for t, kb in self.rss_kb if t >= WARMUP_SECONDS]
        start = after_warmup[0] if after_warmup else None
        end = after_warmup[-1] if after_warmup else None
        served = sum(n for s, n in self.statuses.items() if 200 <= s < 300)
        return {
            "clients": self.clients,
            "seconds": self.seconds,
            "requests": sum(self.statuses.values()) + sum(self.dropped.values()),
            "served": served,
            "served_per_second": round(served / self.seconds, 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors_5xx_other_than_busy": sum(
                n for s, n in self.statuses.items() if s >= 500 and s not in BUSY
            ),
            "dropped_connections": dict(self.dropped),
            "overload_answers": len(self.busy_ms),
            "overload_without_retry_after": self.busy_without_retry_after,
            "overload_ms_p50": pct(self.busy_ms, 0.50),
            "overload_ms_p99": pct(self.busy_ms, 0.99),
            "overload_ms_max": round(max(self.busy_ms), 1) if self.busy_ms else None,
            "overload_within_100ms": (
                round(sum(ms <= 100 for ms in self.busy_ms) / len(self.busy_ms), 4)
                if self.busy_ms
                else None
            ),
            "latency_ms_p50": pct(self.ok_ms, 0.50),
            "latency_ms_p99": pct(self.ok_ms, 0.99),
            "latency_ms_mean": round(statistics.fmean(self.ok_ms), 1) if self.ok_ms else None,
            "rss_mb_after_warmup": round(start / 1024, 1) if start else None,
            "rss_mb_end": round(end / 1024, 1) if end else None,
            "rss_mb_max": round(max(kb for _t, kb in self.rss_kb) / 1024, 1)
            if self.rss_kb
            else None,
            "rss_growth_pct": round((end - start) / start * 100, 2) if start and end else None,
            "probe": self._probe(pct),
        }

    def _probe(self, pct: Callable[[list[float], float], float | None]) -> dict[str, Any]:
        """What the separate probe process saw: the server's latency without the load
        generator's own overhead."""
        groups = {
            "health": [m for n, s, m in self.probe if n == "health" and s],
            "admitted": [m for n, s, m in self.probe if n == self.name and s and s not in BUSY],
            "busy": [m for n, s, m in self.probe if n == self.name and s in BUSY],
        }
        out: dict[str, Any] = {}
        for label, ms in groups.items():
            out[f"{label}_n"] = len(ms)
            out[f"{label}_ms_p50"] = pct(ms, 0.50)
            out[f"{label}_ms_p99"] = pct(ms, 0.99)
            out[f"{label}_ms_max"] = round(max(ms), 1) if ms else None
        out["transport_errors"] = sum(1 for _n, s, _m in self.probe if s == 0)
        return out


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _env(home: Path, models_dir: Path | None, workers: int, queue: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PICSIFT_HOME": str(home),
            "PICSIFT_API_WORKERS": str(workers),
            "PICSIFT_API_QUEUE": str(queue),
            "PICSIFT_ALLOW_DOWNLOAD": "0",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    if models_dir is not None:
        env["PICSIFT_MODELS_DIR"] = str(models_dir)
    return env


def _tiny_models() -> Path:
    """The tiny models, built once into bench/results/tiny-models (gitignored)."""
    from picsift.models.tiny import build_tiny

    folder = RESULTS / "tiny-models"
    for name in ("tiny-clip", "tiny-florence-2"):
        target = folder / f"picsift--{name}"
        if not target.is_dir():
            build_tiny(name, target)
    return folder


def prepare(home: Path, models: str, env: dict[str, str]) -> None:
    """Index the sample photos into ``home`` with the chosen models."""
    if models == "fake":
        sys.path.insert(0, str(REPO))
        from picsift.config import Settings
        from picsift.indexer import Indexer
        from picsift.store import Store
        from tests.fakes import FakeModels

        with Store(home) as store:
            Indexer(store, FakeModels(), Settings(home=home)).run([SAMPLES])
        return
    done = subprocess.run(
        [sys.executable, "-m", "picsift", "index", str(SAMPLES), "-m", models, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise SystemExit(f"indexing failed:\n{done.stderr}")


def start_server(home: Path, models: str, port: int, env: dict[str, str], log: Path) -> Any:
    if models == "fake":
        command = [sys.executable, "-c", FAKE_SERVER, str(home), str(port), str(REPO)]
    else:
        command = [sys.executable, "-m", "picsift", "serve", "--port", str(port)]
        command += ["--models", models]
    sink = log.open("wb")
    server = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 300
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"server exited with {server.returncode}:\n{log.read_text()}")
            try:
                if http.get("/health").status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.3)
    server.kill()
    raise SystemExit(f"server not healthy:\n{log.read_text()}")


Request = Callable[[httpx.AsyncClient, random.Random], Awaitable[httpx.Response]]


async def _client(
    http: httpx.AsyncClient,
    phase: Phase,
    deadline: float,
    request: Request,
    rng: random.Random,
    backoff: bool,
) -> None:
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            response = await request(http, rng)
        except httpx.TimeoutException:
            phase.dropped["timeout"] += 1
            continue
        except httpx.TransportError as exc:
            phase.dropped[type(exc).__name__] += 1
            continue
        ms = (time.perf_counter() - started) * 1000
        phase.statuses[response.status_code] += 1
        if response.status_code in BUSY:
            phase.busy_ms.append(ms)
            retry_after = response.headers.get("retry-after")
            if retry_after is None:
                phase.busy_without_retry_after += 1
            if backoff:
                await asyncio.sleep(float(retry_after or 1) * rng.uniform(0.8, 1.2))
        elif 200 <= response.status_code < 300:
            phase.ok_ms.append(ms)


async def _sample_rss(pid: int, phase: Phase, deadline: float) -> None:
    started = time.monotonic()
    while time.monotonic() < deadline:
        phase.rss_kb.append((time.monotonic() - started, _rss_kb(pid)))
        await asyncio.sleep(1.0)
    phase.rss_kb.append((time.monotonic() - started, _rss_kb(pid)))


async def run_phase(
    base: str, pid: int, phase: Phase, request: Request, backoff: bool, seed: int
) -> None:
    limits = httpx.Limits(max_connections=phase.clients, max_keepalive_connections=phase.clients)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as http:
        deadline = time.monotonic() + phase.seconds
        tasks = [
            _client(http, phase, deadline, request, random.Random(seed + i), backoff)
            for i in range(phase.clients)
        ]
        await asyncio.gather(_sample_rss(pid, phase, deadline), *tasks)


def search_request(http: httpx.AsyncClient, rng: random.Random) -> Awaitable[httpx.Response]:
    return http.get("/search", params={"q": rng.choice(QUERIES), "limit": rng.choice((5, 20))})


def describe_request(photos: list[tuple[str, bytes]]) -> Request:
    def request(http: httpx.AsyncClient, rng: random.Random) -> Awaitable[httpx.Response]:
        name, data = rng.choice(photos)
        return http.post("/describe", files={"file": (name, data, "image/jpeg")})

    return request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of /search load")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--describe-duration", type=float, default=20.0)
    parser.add_argument("--describe-clients", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2, help="PICSIFT_API_WORKERS")
    parser.add_argument("--queue", type=int, default=8, help="PICSIFT_API_QUEUE")
    parser.add_argument("--models", default="tiny", help="a preset (tiny) or 'fake'")
    parser.add_argument("--no-backoff", action="store_true", help="ignore Retry-After")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    models_dir = _tiny_models() if args.models == "tiny" else None
    with tempfile.TemporaryDirectory(prefix="picsift-load-") as tmp:
        home = Path(tmp) / "home"
        env = _env(home, models_dir, args.workers, args.queue)
        t0 = time.monotonic()
        prepare(home, args.models, env)
        print(f"indexed the sample photos with '{args.models}' in {time.monotonic() - t0:.0f}s")
        port = _free_port()
        log = Path(tmp) / "server.log"
        server = start_server(home, args.models, port, env, log)
        base = f"http://127.0.0.1:{port}"
        photos = [(p.name, p.read_bytes()) for p in sorted(SAMPLES.glob("*.jpg"))]
        phases = [
            (Phase("search", args.clients, args.duration), search_request),
            (
                Phase("describe", args.describe_clients, args.describe_duration),
                describe_request(photos),
            ),
        ]
        results: dict[str, Any] = {}
        try:
            for phase, request in phases:
                print(f"{phase.name}: {phase.clients} clients for {phase.seconds:.0f}s ...")
                probe_out = Path(tmp) / f"probe-{phase.name}.json"
                sample = str(sorted(SAMPLES.glob("*.jpg"))[0])
                probe_args = [base, str(phase.seconds), str(probe_out), phase.name, sample]
                probe = subprocess.Popen([sys.executable, "-c", PROBE, *probe_args])
                asyncio.run(
                    run_phase(base, server.pid, phase, request, not args.no_backoff, args.seed)
                )
                probe.wait(timeout=180)
                if probe_out.exists():
                    phase.probe = [tuple(x) for x in json.loads(probe_out.read_text())]
                results[phase.name] = phase.report()
                print(json.dumps(results[phase.name], indent=2))
            alive = server.poll() is None
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        server_log = log.read_text(errors="replace")
    summary = {
        "config": {
            "models": args.models,
            "workers": args.workers,
            "queue": args.queue,
            "backoff": not args.no_backoff,
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
        },
        "server_alive_at_end": alive,
        "server_tracebacks": server_log.count("Traceback"),
        **results,
    }
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    search = results["search"]
    print(
        f"\nsearch: {search['served']} served ({search['served_per_second']}/s), "
        f"p50 {search['latency_ms_p50']} ms, p99 {search['latency_ms_p99']} ms, "
        f"5xx {search['errors_5xx_other_than_busy']}, dropped "
        f"{sum(search['dropped_connections'].values())}, overload "
        f"{search['overload_answers']} (p99 {search['overload_ms_p99']} ms), RSS growth "
        f"{search['rss_growth_pct']} %\nwritten to {args.out}"
    )


if __name__ == "__main__":
    main()

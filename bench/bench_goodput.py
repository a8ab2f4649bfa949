"""Searches served per second under overload, before and after admission by predicted wait,
measured with wrk (Debian's ``wrk``, not our code) against ``picsift serve --models tiny``.

One store: the clothing photos (``../shared/datasets/clothing``, 3,781 CC0 photos) indexed
with the tiny preset. Two admission policies of the same server, in one run, interleaved by
client count:

- **before**: the former fixed queue (``PICSIFT_API_QUEUE=8``; the deadline never binds);
- **after**: the defaults (refuse when the predicted wait passes ``PICSIFT_API_DEADLINE``,
  2 s; at most 256 waiting).

wrk runs ``--clients`` connections in a tight loop, each request a query drawn in turn from a
list of varied queries (a Lua script), for ``--duration`` seconds. Reported per policy and
client count: served searches per second (2xx), the share answered 503, p50 and p99
latency (wrk's, all answers). Written to ``bench/results/goodput.json`` and ``.md``.

Run: ``.venv/bin/python bench/bench_goodput.py [--clients 4,8,16,32 --duration 20]``
(needs ``wrk``: ``apt install wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
CLOTHING = REPO.parent / "shared" / "datasets" / "clothing" / "images"
RESULTS = REPO / "bench" / "results"
QUERIES = [
    "a red dress",
    "shoes",
    "blue jeans",
    "white t-shirt",
    "something warm for winter",
    "a hat",
    "long sleeves",
    "shorts for the beach",
    "black leather jacket",
    "a skirt with flowers",
    "sneakers",
    "formal shirt",
]
POLICIES = {
    "before": {"PICSIFT_API_QUEUE": "8", "PICSIFT_API_DEADLINE": "600"},
    "after": {},
}


def _lua(path: Path) -> None:
    items = ", ".join(json.dumps(q) for q in QUERIES)
    path.write_text(
        f"local queries = {{{items}}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local q = queries[(n % #queries) + 1]:gsub(' ', '+')\n"
        "  return wrk.format('GET', '/search?limit=10&q=' .. q)\n"
        "end\n"
    )


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "picsift", "serve", "--port", str(port), "-m", "tiny"]
    with log.open("ab") as sink:
        server = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
        while time.monotonic() < deadline:
            try:
                if http.get("/health").status_code == 200:
                    http.get("/search", params={"q": "warm up"})
                    return server
            except httpx.TransportError:
                time.sleep(0.3)
    server.kill()
    raise SystemExit(f"server did not start; see {log}")


def _seconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def _wrk(url: str, clients: int, duration: int, script: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(clients),
            "-d",
            f"{duration}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    refused = int(bad.group(1)) if bad else 0
    p50 = re.search(r"50%\s+(\S+)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    return {
        "clients": clients,
        "served_per_s": round((total - refused) / duration, 1),
        "refused_share": round(refused / total, 4) if total else 0.0,
        "p50_ms": round(_seconds(p50.group(1)) * 1000, 1) if p50 else None,
        "p99_ms": round(_seconds(p99.group(1)) * 1000, 1) if p99 else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", default="4,8,16,32")
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--photos", type=Path, default=CLOTHING)
    ap.add_argument("--home", type=Path, default=None, help="Reuse an indexed store.")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "home"
        env = dict(os.environ, PICSIFT_HOME=str(home), PICSIFT_PRELOAD_MODELS="1")
        env.setdefault("PICSIFT_MODELS_DIR", str(Path(tmp) / "models"))
        if args.home is None:
            subprocess.run(
                [sys.executable, "-m", "picsift", "index", str(args.photos), "-m", "tiny"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        script = Path(tmp) / "queries.lua"
        _lua(script)
        rows: list[dict[str, Any]] = []
        for clients in [int(c) for c in args.clients.split(",")]:
            for policy, extra in POLICIES.items():
                port = _port()
                server = _serve({**env, **extra}, port, Path(tmp) / f"{policy}.log")
                try:
                    row = _wrk(f"http://127.0.0.1:{port}", clients, args.duration, script)
                finally:
                    server.terminate()
                    server.wait(timeout=60)
                rows.append({"policy": policy, **row})
                print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"duration_s": args.duration, "photos": str(args.photos), "rows": rows}
    (RESULTS / "goodput.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Searches served per second under load (wrk, tiny preset, clothing photos)",
        "",
        "Command: `.venv/bin/python bench/bench_goodput.py`. `before`: a fixed queue of 8; "
        "`after`: refusal when the predicted wait passes 2 s.",
        "",
        "| clients | policy | served/s | answered 503 | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['clients']} | {r['policy']} | {r['served_per_s']} | "
            f"{100 * r['refused_share']:.1f} % | {r['p50_ms']} | {r['p99_ms']} |"
        )
    (RESULTS / "goodput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

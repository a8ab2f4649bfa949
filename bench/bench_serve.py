"""Cold start and resident memory of ``picsift serve``, beside a naive server.

Measures, for the real process a user starts (``python -m picsift serve``):

- cold start: process start until ``/health`` answers, and until the first ``/search`` answer
  (models loaded in the lifespan, so the first search is not the slow one);
- resident memory (RSS) after start and after ``--searches`` searches.

The naive baseline is the server a user would write: a script that imports open_clip and
transformers, loads both models at start and serves nothing else; its "ready" time is when it
prints that the models are loaded. Models: the default architectures (CLIP ViT-B/32 and
Florence-2 base) at random weights, same compute as the real ones, or ``--tiny``.

Run: ``.venv/bin/python bench/bench_serve.py [--rounds 3] [--tiny]``
(writes bench/results/serve.json)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from random_models import random_preset_toml

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _get(url: str, timeout: float = 1.0) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bytes(response.read())
    except OSError:
        return None


def _presets(models_dir: Path, tiny: bool) -> str:
    if tiny:
        return ""
    return random_preset_toml(
        models_dir / "clip", models_dir / "florence", captioner_options={"max_new_tokens": 30}
    )


def picsift_round(env: dict[str, str], preset: str, searches: int) -> dict[str, float]:
    port = _free_port()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "picsift", "serve", "--port", str(port), "-m", preset],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while _get(f"{base}/health") is None:
            if proc.poll() is not None:
                raise RuntimeError("picsift serve exited during start-up")
            time.sleep(0.05)
        ready = time.perf_counter() - start
        _get(f"{base}/search?q=a+red+dress", timeout=60)
        first = time.perf_counter() - start
        rss_start = _rss_mb(proc.pid)
        times = []
        for i in range(searches):
            t0 = time.perf_counter()
            _get(f"{base}/search?q=photo+{i}", timeout=60)
            times.append((time.perf_counter() - t0) * 1000)
        return {
            "ready_s": ready,
            "first_search_s": first,
            "rss_after_start_mb": rss_start,
            "rss_after_searches_mb": _rss_mb(proc.pid),
            "search_p50_ms": statistics.median(times) if times else 0.0,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


NAIVE = """
import sys, time
t = time.perf_counter()
import open_clip, torch, transformers
clip, pre = open_clip.create_model_from_pretrained("local-dir:" + sys.argv[1])
proc = transformers.AutoProcessor.from_pretrained(sys.argv[2])
cap = transformers.Florence2ForConditionalGeneration.from_pretrained(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
"""


def naive_round(models_dir: Path) -> dict[str, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", NAIVE, str(models_dir / "clip"), str(models_dir / "florence")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "ready" not in line:
            raise RuntimeError("the naive server did not start")
        return {"ready_s": time.perf_counter() - start, "rss_mb": _rss_mb(proc.pid)}
    finally:
        proc.kill()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--searches", type=int, default=20)
    ap.add_argument("--tiny", action="store_true", help="Tiny preset (smoke runs).")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "serve.json")
    args = ap.parse_args()

    from picsift.models.tiny import build_full_size_random, build_tiny

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        models_dir, home = work / "models", work / "home"
        home.mkdir()
        env = {**os.environ, "PICSIFT_HOME": str(home), "PICSIFT_MODELS_DIR": str(models_dir)}
        if args.tiny:
            for name in ("tiny-clip", "tiny-florence-2"):
                build_tiny(name, models_dir / f"picsift--{name}")
            preset = "tiny"
        else:
            build_full_size_random("clip-vit-b-32", models_dir / "clip")
            build_full_size_random("florence-2-base", models_dir / "florence")
            preset = "bench-random"
        (home / "presets.toml").write_text(_presets(models_dir, args.tiny))
        subprocess.run(
            [sys.executable, "-m", "picsift", "index", str(SAMPLES), "-m", preset],
            env=env,
            check=True,
            capture_output=True,
        )
        rounds = [picsift_round(env, preset, args.searches) for _ in range(args.rounds)]
        naive = [] if args.tiny else [naive_round(models_dir) for _ in range(args.rounds)]
    med: dict[str, Any] = {k: round(statistics.median(r[k] for r in rounds), 3) for k in rounds[0]}
    result: dict[str, Any] = {
        "note": "random weights (speed and memory only)"
        + ("; tiny preset" if args.tiny else "; default architectures"),
        "rounds": args.rounds,
        "picsift_serve": med,
        "picsift_serve_rounds": rounds,
    }
    if naive:
        naive_med = {k: round(statistics.median(r[k] for r in naive), 3) for k in naive[0]}
        result["naive_load_only"] = naive_med
        result["ready_ratio_picsift_over_naive"] = round(med["ready_s"] / naive_med["ready_s"], 2)
        result["rss_ratio_picsift_over_naive"] = round(
            med["rss_after_searches_mb"] / naive_med["rss_mb"], 2
        )
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

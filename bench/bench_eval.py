"""How long ``picsift eval retrieval`` takes on thousands of queries, with the queries' texts
encoded in batches (the default) and one at a time (query cache off), in one run.

A synthetic library: ``--images`` small pictures, each with one people's caption built from
clothing words ("A navy shirt with stripes, on a hanger."), and four shorter queries per
picture in other words. The image models are the ``tiny`` preset (random weights, built
locally); the caption channel is MiniLM (real weights). Only the time means anything here:
the captions are made up, so the recall figures are not a quality measure.

Run: ``.venv/bin/python bench/bench_eval.py [--images 1000]`` (writes bench/results/eval.json).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
COLOURS = "red blue green yellow black white grey pink purple orange brown beige navy".split()
THINGS = "t-shirt dress shirt skirt jacket coat hat shoes trousers shorts sweater scarf".split()
PLACES = [
    "on a hanger",
    "laid flat on a bed",
    "on a wooden floor",
    "against a white wall",
    "on a model",
    "folded on a table",
]
DETAILS = ["with a small logo", "with stripes", "with a floral print", "with buttons", "plain"]


def _library(folder: Path, images: int) -> tuple[Path, Path, Path]:
    rng = random.Random(0)
    root = folder / "lib"
    root.mkdir(parents=True)
    captions, queries = [], []
    for i in range(images):
        colour, thing = rng.choice(COLOURS), rng.choice(THINGS)
        place, detail = rng.choice(PLACES), rng.choice(DETAILS)
        Image.new("RGB", (64, 48), (i % 256, (i * 7) % 256, (i * 13) % 256)).save(
            root / f"{i:05d}.png"
        )
        captions.append(
            {"file": f"{i:05d}.png", "caption": f"A {colour} {thing} {detail}, {place}."}
        )
        for _ in range(4):
            shade = rng.choice([colour, "dark " + colour, "light " + colour])
            words = [shade, thing, rng.choice([place, detail, ""])]
            queries.append({"query": " ".join(w for w in words if w), "relevant": [f"{i:05d}.png"]})
    caps, qs = folder / "captions.jsonl", folder / "queries.jsonl"
    caps.write_text("".join(json.dumps(c) + "\n" for c in captions))
    qs.write_text("".join(json.dumps(q) + "\n" for q in queries))
    return root, caps, qs


def _picsift(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "picsift", *args], env=env, check=True, capture_output=True
    )
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "eval.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="picsift-eval-") as tmp:
        root, caps, queries = _library(Path(tmp), args.images)
        env = {**os.environ, "PICSIFT_HOME": str(Path(tmp) / "home"), "HF_HUB_OFFLINE": "1"}
        _picsift(["index", str(root), "--models", "tiny", "--captions", str(caps)], env)
        evaluate = ["eval", "retrieval", "--queries", str(queries), "--root", str(root)]
        evaluate += ["--channels", "caption,words", "--sources", "user", "--json"]
        timings: dict[str, Any] = {}
        for name, extra in (("batched", {}), ("one_at_a_time", {"PICSIFT_QUERY_CACHE_SIZE": "0"})):
            timings[name] = round(_picsift(evaluate, {**env, **extra}), 1)
    result = {
        "queries": 4 * args.images,
        "passes": 3,
        "seconds": timings,
        "ratio_one_at_a_time_over_batched": round(timings["one_at_a_time"] / timings["batched"], 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

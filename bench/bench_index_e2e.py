"""End to end: ``picsift index`` of the whole clothing set, and where the time goes.

What a user runs, as a user runs it: the ``picsift`` command in a fresh process, a fresh
``PICSIFT_HOME``, the CLI's own progress and clustering, on every photo of
``../shared/datasets/clothing`` (3,781). The models are the default architectures (CLIP
ViT-B/32, Florence-2 base) at *random* weights, built locally and named by a preset in the
home's ``presets.toml``: the same compute as the real models, so the time is meaningful and
the captions are not. Captions are greedy and fixed at ``--tokens`` new tokens (random weights
never stop early; real captions end when the model says so).

The runtimes are the fast ones (``--captioner-runtime``, default ``bf16-compile``; the CLIP
model exported to ONNX int8 first unless ``--embedder-runtime torch``). The report is the wall
time of the command, the indexer's per-stage seconds (``stage_seconds`` in ``--json``) and each
stage's share of the wall time; the untimed rest (start-up, imports) is ``other``.

Run: ``.venv/bin/python bench/bench_index_e2e.py [--images N] [--tokens 30] [--batch-size 8]``
(about 70 minutes for the whole set on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from random_models import random_preset_toml

from picsift.models.tiny import build_full_size_random

REPO = Path(__file__).resolve().parent.parent
CLOTHING = REPO.parent / "shared" / "datasets" / "clothing" / "images"
PICSIFT = Path(sys.executable).parent / "picsift"


def _picsift(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(PICSIFT), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"picsift {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=0, help="0 = the whole set")
    ap.add_argument("--tokens", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--captioner-runtime", default="bf16-compile")
    ap.add_argument("--embedder-runtime", default="onnx-int8")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "index_e2e.json")
    args = ap.parse_args()
    if not CLOTHING.is_dir():
        raise SystemExit(f"{CLOTHING} is missing: this benchmark needs the clothing photos")

    with tempfile.TemporaryDirectory(prefix="picsift-bench-e2e-") as tmp:
        work = Path(tmp)
        photos = CLOTHING
        if args.images:
            photos = work / "photos"
            photos.mkdir()
            for p in sorted(CLOTHING.glob("*.jpg"))[: args.images]:
                (photos / p.name).symlink_to(p)
        count = sum(1 for _ in photos.glob("*.jpg"))
        home = work / "home"
        home.mkdir()
        build_full_size_random("clip-vit-b-32", work / "clip")
        build_full_size_random("florence-2-base", work / "florence")
        captioner = {
            "detect_prompt": "<OD>",
            "max_new_tokens": args.tokens,
            "min_new_tokens": args.tokens,
            "num_beams": 1,
            "runtime": args.captioner_runtime,
            "compile_module": "model.vision_tower",
        }
        (home / "presets.toml").write_text(
            random_preset_toml(
                work / "clip",
                work / "florence",
                embedder_options={"runtime": args.embedder_runtime},
                captioner_options=captioner,
            )
        )
        env = {
            **os.environ,
            "PICSIFT_HOME": str(home),
            "PICSIFT_ALLOW_DOWNLOAD": "false",
            "PICSIFT_BATCH_SIZE": str(args.batch_size),
            "HF_HUB_OFFLINE": "1",
        }
        if args.embedder_runtime.startswith("onnx"):
            started = time.perf_counter()
            int8 = ["--int8"] if args.embedder_runtime == "onnx-int8" else []
            _picsift(env, "models", "export", "bench-random", *int8)
            export_s = time.perf_counter() - started
        else:
            export_s = 0.0
        load_before = os.getloadavg()
        started = time.perf_counter()
        done = _picsift(env, "index", str(photos), "--models", "bench-random", "--json")
        wall = time.perf_counter() - started
        load_after = os.getloadavg()
    summary = json.loads(done.stdout)
    stages: dict[str, float] = summary["stage_seconds"]
    timed = sum(stages.values())
    result: dict[str, Any] = {
        "benchmark": "index_e2e",
        "note": "default architectures at random weights: speed only, captions meaningless",
        "photos": count,
        "indexed": summary["indexed"],
        "errors": len(summary["errors"]),
        "categorised": summary["categorised"],
        "tokens": args.tokens,
        "batch_size": args.batch_size,
        "captioner_runtime": args.captioner_runtime,
        "embedder_runtime": args.embedder_runtime,
        "export_s": round(export_s, 1),
        "wall_s": round(wall, 1),
        "images_per_s": round(summary["indexed"] / wall, 3),
        "s_per_image": round(wall / max(summary["indexed"], 1), 3),
        "stage_seconds": stages | {"other": round(wall - timed, 2)},
        "stage_share": {k: round(v / wall, 4) for k, v in stages.items()}
        | {"other": round((wall - timed) / wall, 4)},
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Cost of the structure facets' models per image on this machine, beside a naive
``transformers`` pipeline loop, in one run.

The default architectures at random weights (same compute as the real ones; the maps mean
nothing): Depth Anything V2 Small at 518 px, UperNet-ConvNeXt-T at 512 px, ViTPose-B at
256 x 192 per person. picsift's depth batches pictures of one shape and segmentation batches
a whole batch; the naive loop is ``transformers.pipeline(...)`` called once per picture, as a
script would. Pose has no pipeline; it is timed alone, per person. The edges facet needs no
model (``bench/bench_facets.py`` times it with the other model-free facets).

Run: ``.venv/bin/python bench/bench_structure.py [--images 8 --rounds 3]``
(writes bench/results/structure.json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from picsift.config import Settings
from picsift.models.depth import TransformersDepth
from picsift.models.pose import TransformersPose
from picsift.models.segment import TransformersSegmenter
from picsift.models.tiny import build_full_size_random
from picsift.resources import data_dir

REPO = Path(__file__).resolve().parent.parent
CPU = torch.device("cpu")


def _photos(n: int) -> list[Image.Image]:
    paths = sorted((data_dir() / "samples").glob("*.jpg"))[:n]
    return [Image.open(p).convert("RGB") for p in paths]


def _per_image(run: Callable[[], Any], count: int, rounds: int) -> list[float]:
    run()  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) / count)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "structure.json")
    args = ap.parse_args()
    from transformers import pipeline

    photos = _photos(args.images)
    result: dict[str, Any] = {
        "note": "default architectures at random weights: speed only; maps meaningless",
        "images": len(photos),
        "threads": torch.get_num_threads(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp)
        depth_dir = build_full_size_random("depth-anything-v2-small", models / "depth")
        seg_dir = build_full_size_random("upernet-convnext-tiny", models / "seg")
        pose_dir = build_full_size_random("vitpose-base-simple", models / "pose")
        depth = TransformersDepth(depth_dir, "bench:depth", CPU)
        segmenter = TransformersSegmenter(seg_dir, "bench:seg", CPU)
        pose = TransformersPose(pose_dir, "bench:pose", CPU)
        naive_depth = pipeline("depth-estimation", model=str(depth_dir), device=-1)
        naive_seg = pipeline("image-segmentation", model=str(seg_dir), device=-1)
        boxes = [[(0.2, 0.1, 0.8, 0.95)] for _ in photos]  # one person each
        runs: dict[str, list[float]] = {k: [] for k in ("depth", "depth_naive", "seg", "seg_naive")}
        runs["pose_per_person"] = []
        for _ in range(args.rounds):  # interleaved: each round times every one once
            n = len(photos)
            runs["depth"] += _per_image(lambda: depth.estimate(photos, 64), n, 1)
            runs["depth_naive"] += _per_image(lambda: [naive_depth(p) for p in photos], n, 1)
            runs["seg"] += _per_image(lambda: segmenter.segment(photos, 64), n, 1)
            runs["seg_naive"] += _per_image(lambda: [naive_seg(p) for p in photos], n, 1)
            runs["pose_per_person"] += _per_image(lambda: pose.keypoints(photos, boxes), n, 1)
    med = {k: round(statistics.median(v), 3) for k, v in runs.items()}
    result["median_s_per_image"] = med
    result["ratio_depth_naive_over_picsift"] = round(med["depth_naive"] / med["depth"], 2)
    result["ratio_regions_naive_over_picsift"] = round(med["seg_naive"] / med["seg"], 2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    Settings()  # fail early on a broken environment, as the product would
    main()

"""CLIP ViT-B/32 on a CPU: eager PyTorch against the ONNX Runtime paths (fp32, int8).

The default architecture at random weights (same compute as the real model). In one process,
interleaved round by round so machine noise hits every variant alike:

- image embedding, images/s: the naive loop a user would write (open_clip, one image at a
  time, eager), picsift's eager embedder (batched), and picsift's ONNX Runtime embedder fp32
  and int8 (batched);
- text query latency, ms per single query: eager (already trimmed to the query's length)
  against ONNX Runtime fp32 and int8;
- agreement with eager: minimum cosine over the photos and queries.

Run: ``.venv/bin/python bench/bench_runtime.py [--rounds 5]`` (writes bench/results/runtime.json)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from picsift.models.onnx_clip import OnnxClipEmbedder, export_clip
from picsift.models.openclip import OpenClipEmbedder
from picsift.models.tiny import build_full_size_random
from picsift.resources import sample_photos_dir

REPO = Path(__file__).resolve().parent.parent
QUERIES = [
    "a red dress",
    "white sneakers on a wooden floor",
    "hotel room with a sea view",
    "a plate of pasta",
    "two chairs and a lamp on the left",
    "blue jeans",
    "a black leather jacket hanging on a door",
    "sunset over the beach",
]


def _images(n: int) -> list[Image.Image]:
    photos = [Image.open(p).convert("RGB") for p in sorted(sample_photos_dir().glob("*.jpg"))]
    return [photos[i % len(photos)] for i in range(n)]


def naive(folder: Path, images: list[Image.Image]) -> float:
    import open_clip

    model, preprocess = open_clip.create_model_from_pretrained(f"local-dir:{folder}")
    model.eval()
    start = time.perf_counter()
    for image in images:
        with torch.no_grad():
            v = model.encode_image(preprocess(image).unsqueeze(0))
        v / v.norm(dim=-1, keepdim=True)
    return len(images) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "runtime.json")
    args = ap.parse_args()
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    images = _images(args.images)
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_full_size_random("clip-vit-b-32", Path(tmp) / "clip")
        start = time.perf_counter()
        export_clip(folder, int8=True)
        export_s = time.perf_counter() - start
        cpu = torch.device("cpu")
        variants: dict[str, Any] = {
            "eager": OpenClipEmbedder(folder, "m", cpu),
            "onnx": OnnxClipEmbedder(folder, "m", cpu, int8=False, threads=threads),
            "onnx-int8": OnnxClipEmbedder(folder, "m", cpu, int8=True, threads=threads),
        }
        reference = variants["eager"].embed_images(images[:20])
        text_reference = variants["eager"].embed_texts(QUERIES)
        agreement = {}
        for name in ("onnx", "onnx-int8"):
            got = variants[name].embed_images(images[:20])
            text = variants[name].embed_texts(QUERIES)
            agreement[name] = {
                "image_min_cosine": round(float(np.min(np.sum(reference * got, 1))), 5),
                "text_min_cosine": round(float(np.min(np.sum(text_reference * text, 1))), 5),
            }
        rates: dict[str, list[float]] = {"naive_one_at_a_time": [], **{k: [] for k in variants}}
        query_ms: dict[str, list[float]] = {k: [] for k in variants}
        for name in variants:  # warm-up
            variants[name].embed_images(images[: args.batch_size])
            variants[name].embed_texts(QUERIES[:1])
        for r in range(args.rounds):
            rates["naive_one_at_a_time"].append(naive(folder, images[:8]))
            for name, embedder in variants.items():
                start = time.perf_counter()
                for i in range(0, len(images), args.batch_size):
                    embedder.embed_images(images[i : i + args.batch_size])
                rates[name].append(len(images) / (time.perf_counter() - start))
                for query in QUERIES:
                    start = time.perf_counter()
                    embedder.embed_texts([query])
                    query_ms[name].append((time.perf_counter() - start) * 1000)
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in rates.items()))
    med = {k: round(statistics.median(v), 2) for k, v in rates.items()}
    result = {
        "note": "CLIP ViT-B/32 at random weights: speed only",
        "threads": threads,
        "images": args.images,
        "batch_size": args.batch_size,
        "rounds": args.rounds,
        "export_seconds": round(export_s, 1),
        "images_per_second_median": med,
        "ratio_over_naive": {
            k: round(v / med["naive_one_at_a_time"], 2) for k, v in med.items() if k in variants
        },
        "query_ms_median": {k: round(statistics.median(v), 2) for k, v in query_ms.items()},
        "query_ms_p90": {
            k: round(sorted(v)[int(0.9 * (len(v) - 1))], 2) for k, v in query_ms.items()
        },
        "agreement_with_eager": agreement,
        "images_per_second": rates,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "images_per_second"}, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

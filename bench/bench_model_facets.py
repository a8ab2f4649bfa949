"""Cost of the facets that need a model: tags (CLIP zero-shot), objects (Florence-2 <OD>), depth.

Uses the default architectures at full size with random weights (same compute as the real
models; the tags and boxes themselves are meaningless):

- tags: the one-off cost of embedding every shipped vocabulary through CLIP ViT-B/32's text
  tower (then cached on disk), and the per-image cost of tagging from a CLIP vector, which is
  all the indexer pays per image (it has the vector already);
- objects: Florence-2 base ``<OD>`` per image at a fixed token budget (random weights never
  stop early, so every image runs the whole budget: an upper bound for real weights), beside
  the detailed caption at the same budget.

Run: ``.venv/bin/python bench/bench_model_facets.py [--images 6 --tokens 64]``
(writes bench/results/model_facets.json)
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

from picsift.config import Settings
from picsift.describe.tagging import Tagger
from picsift.describe.vocabularies import find_vocabularies
from picsift.models.captioner import TransformersCaptioner
from picsift.models.depth import TransformersDepth
from picsift.models.openclip import OpenClipEmbedder
from picsift.models.tiny import build_full_size_random
from picsift.models.zeroshot import LabelBanks
from picsift.resources import data_dir, sample_photos_dir

REPO = Path(__file__).resolve().parent.parent


def _photos(n: int) -> list[Image.Image]:
    paths = sorted(sample_photos_dir().glob("*.jpg"))[:n]
    return [Image.open(p).convert("RGB") for p in paths]


def bench_tags(models_dir: Path, work: Path, repeats: int) -> dict[str, Any]:
    folder = build_full_size_random("clip-vit-b-32", models_dir / "clip")
    embedder = OpenClipEmbedder(folder, "bench:clip-vit-b-32-random", torch.device("cpu"))
    vocabularies = find_vocabularies([data_dir() / "vocabularies"])
    labels = sum(len(v.labels) for v in vocabularies)
    tagger = Tagger(embedder, vocabularies, LabelBanks(work / "cache"))
    prompts = tagger.prompts  # unique labels x prompts: what a cold start embeds
    start = time.perf_counter()
    tagger.warm()
    cold = time.perf_counter() - start
    start = time.perf_counter()
    Tagger(embedder, vocabularies, LabelBanks(work / "cache")).warm()  # a new process
    from_disk = time.perf_counter() - start
    vectors = embedder.embed_images(_photos(8))
    per_image = []
    for _ in range(repeats):
        start = time.perf_counter()
        tagger.tag_vectors(vectors)
        per_image.append((time.perf_counter() - start) * 1000 / len(vectors))
    return {
        "vocabularies": [v.name for v in vocabularies],
        "labels": labels,
        "prompts": prompts,
        "label_banks_cold_s": round(cold, 1),
        "label_banks_from_disk_s": round(from_disk, 3),
        "tag_ms_per_image_from_vector": round(statistics.median(per_image), 3),
    }


def bench_objects(models_dir: Path, images: int, tokens: int, rounds: int) -> dict[str, Any]:
    folder = build_full_size_random("florence-2-base", models_dir / "florence")
    options = {
        "model_class": "Florence2ForConditionalGeneration",
        "prompt": "<MORE_DETAILED_CAPTION>",
        "detect_prompt": "<OD>",
        "max_new_tokens": tokens,
        "min_new_tokens": tokens,
        "detect_max_new_tokens": tokens,
        "num_beams": 1,
    }
    captioner = TransformersCaptioner(folder, "bench:florence", torch.device("cpu"), options)
    photos = _photos(images)
    captioner.detect_objects(photos[:1])  # warm-up
    detect, caption = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        captioner.detect_objects(photos)
        detect.append((time.perf_counter() - start) / len(photos))
        start = time.perf_counter()
        captioner.caption(photos)
        caption.append((time.perf_counter() - start) / len(photos))
    return {
        "images": len(photos),
        "tokens": tokens,
        "objects_s_per_image": round(statistics.median(detect), 3),
        "caption_s_per_image": round(statistics.median(caption), 3),
        "objects_over_caption": round(statistics.median(detect) / statistics.median(caption), 2),
    }


def bench_depth(models_dir: Path, images: int, rounds: int) -> dict[str, Any]:
    """The depth facet's model: Depth Anything V2 Small's architecture at 518 px."""
    folder = build_full_size_random("depth-anything-v2-small", models_dir / "depth")
    estimator = TransformersDepth(folder, "bench:depth-random", torch.device("cpu"))
    photos = _photos(images)
    estimator.estimate(photos[:1], 64)  # warm-up
    per_image = []
    for _ in range(rounds):
        start = time.perf_counter()
        estimator.estimate(photos, 64)
        per_image.append((time.perf_counter() - start) / len(photos))
    return {"images": len(photos), "depth_s_per_image": round(statistics.median(per_image), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=6)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-objects", action="store_true")
    ap.add_argument("--skip-depth", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "model_facets.json")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    np.random.seed(0)
    result: dict[str, Any] = {
        "note": "default architectures at random weights: speed only; tags/boxes meaningless",
        "threads": torch.get_num_threads(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        result["tags"] = bench_tags(work / "models", work, args.rounds)
        print(json.dumps(result["tags"]), flush=True)
        if not args.skip_objects:
            result["objects"] = bench_objects(
                work / "models", args.images, args.tokens, args.rounds
            )
            print(json.dumps(result["objects"]), flush=True)
        if not args.skip_depth:
            result["depth"] = bench_depth(work / "models", args.images, args.rounds)
            print(json.dumps(result["depth"]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    Settings()  # fail early on a broken environment, as the product would
    main()

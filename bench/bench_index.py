"""Indexing throughput: picsift's pipeline beside the naive loop a user would write.

Both run in one process, back to back, on the same photos, with the default architectures
(CLIP ViT-B/32, Florence-2 base) at *random* weights: the same compute as the real models,
so speed is meaningful and captions are not. Generation is fixed at ``--tokens`` new tokens
(min = max) and greedy in both, so the comparison is like for like.

* embed: the naive loop opens each file, preprocesses it and calls ``encode_image`` one image
  at a time; picsift decodes in worker threads and embeds in batches.
* embed+caption: the naive loop adds a transformers ``pipeline("image-text-to-text")`` call per
  image; picsift runs its full ``Indexer`` into a fresh store (hashing, decoding, batching,
  commits and the FAISS file included).

Reports images/s per round, medians over ``--rounds`` and the ratio picsift / naive.
Run: ``.venv/bin/python bench/bench_index.py [--images 24] [--rounds 3] [--batch-size 8]``.
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

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from PIL import Image

from picsift.config import Settings
from picsift.imaging.sandbox import DecodeSandbox
from picsift.indexer import Indexer
from picsift.indexer.pipeline import load_ahead
from picsift.indexer.scan import scan
from picsift.models import PresetCatalog
from picsift.models.presets import ModelSpec, Preset
from picsift.models.provider import ModelProvider
from picsift.models.tiny import build_full_size_random
from picsift.store import Store

REPO = Path(__file__).resolve().parent.parent
CLOTHING = REPO.parent / "shared" / "datasets" / "clothing" / "images"


def _photos(n: int) -> list[Path]:
    folder = CLOTHING if CLOTHING.is_dir() else REPO / "data" / "samples"
    return sorted(folder.glob("*.jpg"))[:n]


def _preset(models_dir: Path, tokens: int, beams: int) -> Preset:
    base = PresetCatalog().preset("default")
    embedder = ModelSpec(**{**base.embedder.__dict__, "path": str(models_dir / "clip")})
    opts = {
        **base.captioner.options,
        "max_new_tokens": tokens,
        "min_new_tokens": tokens,
        "num_beams": beams,
    }
    captioner = ModelSpec(
        **{**base.captioner.__dict__, "path": str(models_dir / "florence"), "options": opts}
    )
    return Preset("bench-random", embedder, captioner, meaningless=True)


def naive_embed(paths: list[Path], clip_dir: Path) -> float:
    import open_clip

    model, preprocess = open_clip.create_model_from_pretrained(f"local-dir:{clip_dir}")
    model.eval()
    start = time.perf_counter()
    for p in paths:
        x = preprocess(Image.open(p).convert("RGB")).unsqueeze(0)
        with torch.no_grad():
            v = model.encode_image(x)
        v / v.norm(dim=-1, keepdim=True)
    return len(paths) / (time.perf_counter() - start)


def naive_embed_caption(
    paths: list[Path], clip_dir: Path, flo_dir: Path, tokens: int, beams: int, prompt: str
) -> float:
    import open_clip
    from transformers import pipeline

    model, preprocess = open_clip.create_model_from_pretrained(f"local-dir:{clip_dir}")
    model.eval()
    captioner = pipeline("image-text-to-text", model=str(flo_dir))
    kwargs = {
        "max_new_tokens": tokens,
        "min_new_tokens": tokens,
        "num_beams": beams,
        "do_sample": False,
    }
    start = time.perf_counter()
    for p in paths:
        img = Image.open(p).convert("RGB")
        with torch.no_grad():
            model.encode_image(preprocess(img).unsqueeze(0))
        captioner(images=img, text=prompt, generate_kwargs=kwargs)
    return len(paths) / (time.perf_counter() - start)


def picsift_embed(paths: list[Path], settings: Settings, preset: Preset) -> float:
    embedder = ModelProvider(settings, preset).embedder()
    files = scan(paths[0].parent).files
    files = [f for f in files if Path(f.path) in set(paths)]
    start = time.perf_counter()
    batch: list[Image.Image] = []
    with DecodeSandbox(settings) as decoder:
        for item in load_ahead(files, settings, 2 * settings.batch_size, decoder):
            assert item.decoded is not None
            batch.append(item.decoded.image)
            if len(batch) == settings.batch_size:
                embedder.embed_images(batch)
                batch = []
    if batch:
        embedder.embed_images(batch)
    return len(paths) / (time.perf_counter() - start)


def picsift_index(paths: list[Path], settings: Settings, preset: Preset, work: Path) -> float:
    folder = work / f"photos-{time.monotonic_ns()}"
    folder.mkdir()
    for p in paths:
        (folder / p.name).symlink_to(p)
    models = ModelProvider(settings, preset)
    models.embedder(), models.captioner()  # load outside the timed region, as naive does
    home = work / f"store-{time.monotonic_ns()}"
    with Store(home) as store:
        start = time.perf_counter()
        report = Indexer(store, models, settings.model_copy(update={"home": home})).run([folder])
        elapsed = time.perf_counter() - start
    assert report.indexed == len(paths), report
    return len(paths) / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=24)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=30)
    ap.add_argument("--beams", type=int, default=1)
    ap.add_argument("--skip-caption", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "index.json")
    args = ap.parse_args()

    torch.set_num_threads(os.cpu_count() or 1)
    paths = _photos(args.images)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        models_dir = work / "models"
        build_full_size_random("clip-vit-b-32", models_dir / "clip")
        if not args.skip_caption:
            build_full_size_random("florence-2-base", models_dir / "florence")
        preset = _preset(models_dir, args.tokens, args.beams)
        settings = Settings(home=work / "home", batch_size=args.batch_size)
        rounds: dict[str, list[float]] = {"naive_embed": [], "picsift_embed": []}
        if not args.skip_caption:
            rounds |= {"naive_embed_caption": [], "picsift_embed_caption": []}
        # warm-up: first calls pay one-off allocation and kernel selection
        naive_embed(paths[:2], models_dir / "clip")
        picsift_embed(paths[:2], settings, preset)
        for r in range(args.rounds):
            rounds["naive_embed"].append(naive_embed(paths, models_dir / "clip"))
            rounds["picsift_embed"].append(picsift_embed(paths, settings, preset))
            if not args.skip_caption:
                prompt = str(preset.captioner.options["prompt"])
                rounds["naive_embed_caption"].append(
                    naive_embed_caption(
                        paths,
                        models_dir / "clip",
                        models_dir / "florence",
                        args.tokens,
                        args.beams,
                        prompt,
                    )
                )
                rounds["picsift_embed_caption"].append(picsift_index(paths, settings, preset, work))
            print(
                f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in rounds.items()),
                flush=True,
            )
    med = {k: statistics.median(v) for k, v in rounds.items()}
    result: dict[str, Any] = {
        "note": "default architectures at random weights: speed only, captions meaningless",
        "images": len(paths),
        "rounds": args.rounds,
        "batch_size": args.batch_size,
        "tokens": args.tokens,
        "beams": args.beams,
        "threads": torch.get_num_threads(),
        "images_per_second": {k: [round(x, 3) for x in v] for k, v in rounds.items()},
        "median_images_per_second": {k: round(v, 3) for k, v in med.items()},
        "ratio_embed": round(med["picsift_embed"] / med["naive_embed"], 2),
    }
    if not args.skip_caption:
        result["ratio_embed_caption"] = round(
            med["picsift_embed_caption"] / med["naive_embed_caption"], 2
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

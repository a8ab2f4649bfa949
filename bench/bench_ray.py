"""Ray indexing beside the local indexer, on the same photos and the same two cores.

Three runs of the full ``Indexer`` into fresh stores, each on the same photos from
``../shared/datasets/clothing``: local (torch on both cores), Ray with one actor reserving
both cores, and Ray with two actors of one core each (a private Ray instance started by the
run, ``--ray local``: Ray's start-up is part of the cost a user pays). The models are the
default architectures at *random* weights (CLIP ViT-B/32, Florence-2 base; same compute as
the real ones), ``--tokens`` new tokens per caption, greedy. Tag label vectors are computed
once before the runs and shared, as a warm store would have them.

On two cores Ray cannot add compute, so the figures are its overhead: the wall-time ratio
against local, the overhead per image, and each actor's steady rate, from which the
throughput of N nodes is estimated as N x (per-node rate).

Run: ``.venv/bin/python bench/bench_ray.py [--images 48] [--tokens 30]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench_index import _photos, _preset

from picsift.config import Settings
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.indexer import Indexer
from picsift.indexer.ray_executor import RayExecutor, RayOptions
from picsift.indexer.service import Executor
from picsift.models.presets import Preset
from picsift.models.provider import ModelProvider
from picsift.models.tiny import build_full_size_random
from picsift.store import Store

REPO = Path(__file__).resolve().parent.parent


def _run(
    name: str, photos: Path, settings: Settings, preset: Preset, executor: Executor | None
) -> dict[str, Any]:
    with Store(settings.home) as store:
        started = time.perf_counter()
        report = Indexer(store, ModelProvider(settings, preset), settings, executor).run([photos])
        wall = time.perf_counter() - started
    assert report.complete and report.indexed, report
    return {
        "run": name,
        "images": report.indexed,
        "wall_s": round(wall, 2),
        "images_per_s": round(report.indexed / wall, 3),
        # summed over actors: model time per image, whatever ran it
        "model_s_per_image": round(report.model_seconds / report.indexed, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=48)
    ap.add_argument("--tokens", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ray.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="picsift-bench-ray-") as tmp:
        work = Path(tmp)
        models = work / "models"
        build_full_size_random("clip-vit-b-32", models / "clip")
        build_full_size_random("florence-2-base", models / "florence")
        preset = _preset(models, args.tokens, 1)
        photos = work / "photos"
        photos.mkdir()
        for p in _photos(args.images):
            (photos / p.name).symlink_to(p)
        base = Settings(home=work / "warm", batch_size=args.batch_size)
        FacetRunner(FacetTools(base, ModelProvider(base, preset))).warm(
            ["tags"]
        )  # label vectors, once
        runs = []
        for name, options in (
            ("local", None),
            ("ray, 1 actor x 2 CPUs", RayOptions("local", 1, 2.0)),
            ("ray, 2 actors x 1 CPU", RayOptions("local", 2, 1.0)),
        ):
            home = work / name.replace(" ", "").replace(",", "-")
            shutil.copytree(base.home / "cache", home / "cache")
            settings = base.model_copy(update={"home": home})
            executor = None if options is None else RayExecutor(options, settings, preset)
            runs.append(_run(name, photos, settings, preset, executor))
            print(json.dumps(runs[-1]))
    local = runs[0]
    for r in runs[1:]:
        r["throughput_vs_local"] = round(r["images_per_s"] / local["images_per_s"], 3)
        r["overhead_s_per_image"] = round((r["wall_s"] - local["wall_s"]) / r["images"], 3)
    # one actor reserving a whole 2-core node: its model rate is what each such node adds
    per_node = 1 / runs[1]["model_s_per_image"]
    result = {
        "benchmark": "ray",
        "images": args.images,
        "tokens": args.tokens,
        "models": "CLIP ViT-B/32 + Florence-2 base, random weights",
        "cpus": os.cpu_count(),
        "load_average_after": os.getloadavg(),
        "runs": runs,
        "per_node_images_per_s": round(per_node, 3),
        "estimate": "N two-core nodes index about N x per_node_images_per_s images/s, less "
        "the driver's commit time (measured here inside the wall times)",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Per-facet time of the model-free description facets (``picsift.describe.facets``).

Every sample photo in ``data/samples`` is decoded the product's way (``decode_image``), then
each registered facet runs ``--repeats`` times on it; we report the median milliseconds per
facet over all (photo, repeat) runs, at two sizes:

- ``native``: the photos as decoded (the samples are about 400x533);
- ``1024``: the same photos upscaled so the longest side is 1024 px, the size the facets
  are budgeted for (< 50 ms each on 2 cores).

Run: ``.venv/bin/python bench/bench_facets.py [--repeats 5]`` (writes bench/results/facets.json)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from PIL import Image

from picsift.describe.facets import FACETS, Facet, FacetBatch
from picsift.describe.facets.tools import FacetTools
from picsift.imaging.decode import decode_image
from picsift.resources import sample_photos_dir

REPO = Path(__file__).resolve().parent.parent


def _load(max_side: int) -> list[Image.Image]:
    images = []
    for path in sorted(sample_photos_dir().glob("*.jpg")):
        decoded = decode_image(path.read_bytes(), path, max_pixels=100_000_000, max_side=4096)
        img = decoded.image
        if max_side:
            scale = max_side / max(img.size)
            size = (round(img.width * scale), round(img.height * scale))
            img = img.resize(size, Image.Resampling.BICUBIC)
        images.append(img)
    return images


def _bench(images: list[Image.Image], repeats: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    tools = FacetTools()
    for name in FACETS.image_only():
        facet = FACETS[name]
        description = FACETS.description()

        def fn(img: Image.Image, facet: Facet = facet, d: Any = description) -> None:
            facet.compute(FacetBatch([d], [img], tools))

        fn(images[0])  # warm-up (table load, caches)
        times = []
        for img in images:
            for _ in range(repeats):
                start = time.perf_counter()
                fn(img)
                times.append((time.perf_counter() - start) * 1000.0)
        out[name] = {
            "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 2),
            "max_ms": round(max(times), 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "facets.json")
    args = parser.parse_args()

    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "repeats": args.repeats,
        "sizes": {},
    }
    for label, side in (("native", 0), ("1024", 1024)):
        images = _load(side)
        result["sizes"][label] = {
            "photos": len(images),
            "example_size": list(images[0].size),
            "facets": _bench(images, args.repeats),
        }
        for name, stats in result["sizes"][label]["facets"].items():
            print(
                f"{label:>6}  {name:<12} median {stats['median_ms']:6.2f} ms  "
                f"p95 {stats['p95_ms']:6.2f} ms  max {stats['max_ms']:6.2f} ms"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""This checkout's own indexing and search cost beside another revision's, in one run.

For refactors that must not slow anything down (the storage ports, the facet registry): the
other revision is checked out into a temporary git worktree, and each round runs both, one
after the other, in fresh processes. The models are the test suite's fakes (instant), so what
is timed is picsift's own work: decoding, facets, the catalog, the indexes, fusion.

- index: ``Indexer.run`` over ``--images`` photos (the clothing set, else generated ones),
  images per second;
- search: ``SearchService.search`` with the CLIP and words channels over that store,
  median milliseconds per query over ``--queries`` queries.

Run: ``.venv/bin/python bench/bench_versions.py --base c14b376 [--images 300 --rounds 3]``
(writes bench/results/versions.json). Ratio > 1 means this checkout is faster.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CLOTHING = REPO.parent / "shared" / "datasets" / "clothing"
# Plain queries that every revision reads the same way (older ones refused stray quotes).
QUERIES = [
    "red dress",
    "blue jeans on a white background",
    "a shirt with sale written on it",
    "black shoes",
    "a hat",
    "striped t-shirt close-up",
    "green jacket -hood",
    "white sneakers on the floor",
]

CHILD = r"""
import json, statistics, sys, time
from pathlib import Path
from PIL import Image
from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.search import SearchOptions, SearchService
from picsift.store import Store
from tests.fakes import FakeModels

work, photos, n_queries = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
queries = json.loads(sys.argv[4])
settings = Settings(home=work / "home", batch_size=16, search_cutoff=0.0)
models = FakeModels()
store = Store(settings.home)
start = time.perf_counter()
report = Indexer(store, models, settings).run([photos])
index_s = time.perf_counter() - start
service = SearchService(store, models, settings)
options = SearchOptions(limit=20, weights={"clip": 1.0, "words": 0.25})
service.search(queries[0], options)  # warm: the index is loaded once
times = []
for i in range(n_queries):
    start = time.perf_counter()
    service.search(queries[i % len(queries)], options)
    times.append((time.perf_counter() - start) * 1000)
store.close()
print(json.dumps({"images": report.indexed, "index_s": index_s,
                  "search_ms": statistics.median(times)}))
"""


def _photos(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    found = sorted(CLOTHING.rglob("*.jpg"))[:count] if CLOTHING.is_dir() else []
    for i, path in enumerate(found):
        (folder / f"{i:05d}.jpg").symlink_to(path)
    if not found:
        from PIL import Image

        for i in range(count):
            rgb = ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)
            Image.new("RGB", (480, 640), rgb).save(folder / f"{i:05d}.jpg", quality=90)
    return folder


def _run(checkout: Path, work: Path, photos: Path, queries: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PICSIFT_HOME": str(work / "home")}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(work), str(photos), str(queries), json.dumps(QUERIES)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{checkout}: the run failed:\n{out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="The revision to compare with (git rev).")
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "versions.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="picsift-versions-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), args.base],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        try:
            photos = _photos(Path(tmp) / "photos", args.images)
            runs: dict[str, list[dict[str, Any]]] = {"base": [], "head": []}
            for r in range(args.rounds):
                order = [("base", base), ("head", REPO)]
                for name, checkout in order if r % 2 == 0 else order[::-1]:
                    work = Path(tmp) / f"{name}-{r}"
                    runs[name].append(_run(checkout, work, photos, args.queries))
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base)], cwd=REPO, check=False
            )
    med = {
        name: {
            "index_images_per_s": statistics.median(x["images"] / x["index_s"] for x in rs),
            "search_ms_p50": statistics.median(x["search_ms"] for x in rs),
        }
        for name, rs in runs.items()
    }
    result = {
        "base": args.base,
        "images": args.images,
        "rounds": args.rounds,
        "medians": med,
        "index_ratio_head_over_base": med["head"]["index_images_per_s"]
        / med["base"]["index_images_per_s"],
        "search_ratio_base_over_head": med["base"]["search_ms_p50"] / med["head"]["search_ms_p50"],
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()

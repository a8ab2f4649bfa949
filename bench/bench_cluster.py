"""Clustering time, peak memory and quality vs library size (``picsift.cluster.fit_clusters``).

Vectors are synthetic unit embeddings in 512-d: ``--centres`` random directions (200 by
default) with unequal sizes (Dirichlet weights), members at cosine ~0.74 to their centre
(about what CLIP image embeddings of one kind of photo have to their mean), plus
``--noise`` (5 %) uniform random directions that belong to no group. Quality is measured
against the generating labels (uniform points have label -1, like HDBSCAN's noise):

- ``ari`` / ``nmi``: adjusted Rand index / normalised mutual information over all rows;
- ``ari_clustered``: ARI over rows both truth and result put in a cluster;
- ``noise_fraction``: rows left in Unsorted; ``noise_recall``: uniform rows left there.

Each size runs in a fresh child process so ``peak_rss_mb`` (ru_maxrss) is that size's own;
``data_rss_mb`` is the same after generating the vectors (in small blocks, so it is about
the size of the vectors themselves), before clustering: the difference is what clustering
adds.

Run: ``.venv/bin/python bench/bench_cluster.py [--sizes 10000,100000,500000]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

REPO = Path(__file__).resolve().parent.parent
DIM = 512


def synthetic(n: int, centres: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(vectors float32 [n, 512] unit rows, truth labels with -1 for uniform noise)."""
    rng = np.random.default_rng(seed)
    dirs = rng.standard_normal((centres, DIM)).astype(np.float32)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    weights = rng.dirichlet(np.full(centres, 5.0))
    truth = rng.choice(centres, n, p=weights).astype(np.int64)
    truth[rng.random(n) < noise] = -1
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 10_000):
        block = truth[start : start + 10_000]
        vecs = rng.standard_normal((len(block), DIM), dtype=np.float32) * (0.9 / np.sqrt(DIM))
        vecs[block >= 0] += dirs[block[block >= 0]]
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        out[start : start + len(block)] = vecs
    return out, truth


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def one_size(n: int, centres: int, noise: float, overrides: dict[str, Any]) -> dict[str, Any]:
    from picsift.cluster import ClusterParams, fit_clusters

    vectors, truth = synthetic(n, centres, noise)
    ids = np.arange(1, n + 1, dtype=np.int64)
    data_rss = rss_mb()
    params = ClusterParams.for_size(n, **overrides)
    start = time.perf_counter()
    result = fit_clusters(ids, vectors, params)
    seconds = time.perf_counter() - start
    labels = result.labels
    both = (truth >= 0) & (labels >= 0)
    return {
        "size": n,
        "seconds": round(seconds, 2),
        "stages": {k: round(v, 2) for k, v in result.timings.items()},
        "fitted_on": result.fitted_on,
        "data_rss_mb": round(data_rss),
        "peak_rss_mb": round(rss_mb()),
        "params": {
            "min_cluster_size": params.min_cluster_size,
            "min_samples": params.min_samples,
            "selection_method": params.selection_method,
            "reduce_to": params.reduce_to,
            "max_fit_points": params.max_fit_points,
            "renormalize": params.renormalize,
        },
        "clusters_true": len(np.unique(truth[truth >= 0])),
        "clusters_found": result.n_leaves,
        "parents": result.n_parents,
        "ari": round(float(adjusted_rand_score(truth, labels)), 4),
        "nmi": round(float(normalized_mutual_info_score(truth, labels)), 4),
        "ari_clustered": round(float(adjusted_rand_score(truth[both], labels[both])), 4),
        "noise_fraction": round(result.noise_fraction, 4),
        "noise_recall": round(float(np.mean(labels[truth < 0] < 0)), 4) if noise else None,
        "suggested": int(np.sum(result.suggestions >= 0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,500000")
    parser.add_argument("--centres", type=int, default=200)
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--max-fit-points", type=int, default=None)
    parser.add_argument("--reduce-to", type=int, default=None)
    parser.add_argument("--selection", choices=["eom", "leaf"], default=None)
    parser.add_argument("--renormalize", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "cluster.json")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # child mode
    parser.add_argument("--overrides", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_size(args.one, args.centres, args.noise, json.loads(args.overrides))))
        return
    overrides: dict[str, Any] = {}
    if args.max_fit_points:
        overrides["max_fit_points"] = args.max_fit_points
    if args.reduce_to:
        overrides["reduce_to"] = args.reduce_to
    if args.selection:
        overrides["selection_method"] = args.selection
    if args.renormalize:
        overrides["renormalize"] = True

    rows = []
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        # a plain child process per size (not multiprocessing: hdbscan's joblib workers
        # inside a multiprocessing child hung in testing)
        command = [sys.executable, __file__, "--one", str(n), "--centres", str(args.centres)]
        command += ["--noise", str(args.noise), "--overrides", json.dumps(overrides)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "data": {"dim": DIM, "centres": args.centres, "noise": args.noise},
        "runs": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Choose fusion weights from measurement: rank each query once per channel, then fuse offline.

Uses an indexed store and a queries JSONL (``picsift eval retrieval`` format, with "kind").
Prints Recall@1/5/10 and MRR for each channel, for a grid of fused weights, and for the
query-adaptive rule (words weight raised when a query word is rare in the library).

    PICSIFT_HOME=... .venv/bin/python bench/tune_fusion.py --queries Q.jsonl --sources user
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from picsift.config import Settings
from picsift.eval.metrics import first_relevant_rank, mean_reciprocal_rank, recall_at
from picsift.eval.retrieval import _resolve, load_queries
from picsift.models import PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.search import SearchOptions, SearchService
from picsift.search.fusion import ChannelHits, fuse
from picsift.search.service import adaptive_weights
from picsift.store import Store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=Path, required=True)
    ap.add_argument("--sources", default="model,user")
    ap.add_argument("--models", default="tiny")
    ap.add_argument("--channels", default="caption,words")
    args = ap.parse_args()
    settings = Settings()
    channels = args.channels.split(",")
    sources = tuple(args.sources.split(","))
    queries = load_queries(args.queries)
    with Store(settings.home) as store:
        preset = PresetCatalog().preset(args.models)
        service = SearchService(store, ModelProvider(settings, preset), settings)
        relevant = _resolve(store, queries, None)
        per_query: list[list[ChannelHits]] = []
        for q in queries:
            hits = []
            for c in channels:
                page = service.search(
                    q.text, SearchOptions(limit=100, weights={c: 1.0}, cutoff=0.0, sources=sources)
                )
                hits.append(
                    ChannelHits(
                        c, [h.id for h in page.hits], [h.channels[c]["score"] for h in page.hits]
                    )
                )
            per_query.append(hits)
        boosts = [
            adaptive_weights(store.catalog, q.text, {c: 1.0 for c in channels}) for q in queries
        ]

    def score(weight_fn) -> dict[str, float]:
        ranks = []
        for i, (hits, rel) in enumerate(zip(per_query, relevant, strict=True)):
            fused = fuse(hits, weight_fn(i), k=settings.rrf_k)
            ranks.append(first_relevant_rank([f.id for f in fused], rel))
        out = {f"R@{k}": round(recall_at(ranks, k), 3) for k in (1, 5, 10)}
        out["MRR"] = round(mean_reciprocal_rank(ranks), 3)
        for kind in sorted({q.kind for q in queries}):
            sub = [r for r, q in zip(ranks, queries, strict=True) if q.kind == kind]
            out[f"{kind} R@1"] = round(recall_at(sub, 1), 3)
        return out

    rows = {}
    for c in channels:
        rows[f"{c} alone"] = score(lambda i, c=c: {c: 1.0})
    grid = [0.25, 0.5, 0.75, 1.0, 1.5, 2.0]
    for ws in itertools.product(grid, repeat=len(channels) - 1):
        weights = dict(zip(channels, (1.0, *ws), strict=True))
        rows["fixed " + ",".join(f"{k}={v}" for k, v in weights.items())] = score(
            lambda i, w=weights: w
        )
    for ws in itertools.product(grid, repeat=len(channels) - 1):
        weights = dict(zip(channels, (1.0, *ws), strict=True))
        rows["adaptive " + ",".join(f"{k}={v}" for k, v in weights.items())] = score(
            lambda i, w=weights: {c: w[c] * boosts[i].get(c, 1.0) for c in w}
        )
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

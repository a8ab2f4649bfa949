"""Choose fusion settings from measurement: rank each query once per channel, fuse offline.

For every query file (``picsift eval retrieval`` format) it computes Recall@1/5/10 and MRR of
each channel alone and of the fusion over a grid of words weight, RRF k and coverage power,
then ranks the settings by their worst margin against the best single channel across all
files ("fusion never worse than its best channel"), then by mean MRR.

    PICSIFT_HOME=<store indexed with --captions> .venv/bin/python bench/tune_fusion.py \\
        --queries data/eval/clothing/queries.jsonl data/eval/clothing/queries_hard.jsonl \\
        --sources user
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

from picsift.config import Settings
from picsift.eval.files import resolve_files
from picsift.eval.metrics import first_relevant_rank, mean_reciprocal_rank, recall_at
from picsift.eval.retrieval import load_queries
from picsift.models import PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.search import SearchOptions, SearchService
from picsift.search.fusion import ChannelHits, fuse
from picsift.store import Store

METRICS = ("R@1", "R@5", "R@10", "MRR")


def metrics(ranks: list[int | None]) -> dict[str, float]:
    out = {f"R@{k}": round(recall_at(ranks, k), 3) for k in (1, 5, 10)}
    out["MRR"] = round(mean_reciprocal_rank(ranks), 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=Path, nargs="+", required=True)
    ap.add_argument("--sources", default="model,user")
    ap.add_argument("--models", default="tiny")
    args = ap.parse_args()
    settings = Settings()
    sources = tuple(args.sources.split(","))
    channels = ("caption", "words")
    with Store(settings.home) as store:
        service = SearchService(
            store, ModelProvider(settings, PresetCatalog().preset(args.models)), settings
        )
        data = {}
        for path in args.queries:
            queries = load_queries(path)
            relevant = [set(g) for g in resolve_files(store, [q.relevant for q in queries], None)]
            runs = []
            for q in queries:
                hits = []
                for c in channels:
                    opts = SearchOptions(limit=100, weights={c: 1.0}, cutoff=0.0, sources=sources)
                    page = service.search(q.text, opts)
                    raw = [h.channels[c].get("strength") for h in page.hits]
                    hits.append(
                        ChannelHits(
                            c,
                            [h.id for h in page.hits],
                            [h.channels[c]["score"] for h in page.hits],
                            # undo the configured power to get back the raw coverage
                            [s ** (1 / settings.words_coverage_power) for s in raw]
                            if c == "words" and page.hits
                            else None,
                        )
                    )
                runs.append(hits)
            data[path.name] = (runs, relevant)

    def evaluate(weights: dict[str, float], k: int, power: float, name: str) -> dict[str, float]:
        runs, relevant = data[name]
        ranks = []
        for hits, rel in zip(runs, relevant, strict=True):
            shaped = [
                ChannelHits(h.name, h.ids, h.scores, [s**power for s in h.strengths])
                if h.strengths
                else h
                for h in hits
            ]
            ranks.append(first_relevant_rank([f.id for f in fuse(shaped, weights, k=k)], rel))
        return metrics(ranks)

    alone = {name: {c: evaluate({c: 1.0}, 60, 1.0, name) for c in channels} for name in data}
    print(json.dumps({"channels_alone": alone}, indent=1))
    rows = []
    for k, power, w in itertools.product((10, 20, 60), (0.0, 1.0, 2.0, 3.0), (0.25, 0.5, 1.0)):
        weights = {"caption": 1.0, "words": w}
        per = {name: evaluate(weights, k, power, name) for name in data}
        worst = min(
            per[n][m] - max(alone[n][c][m] for c in channels) for n in data for m in METRICS
        )
        mean_mrr = sum(per[n]["MRR"] for n in data) / len(data)
        rows.append((round(worst, 3), round(mean_mrr, 3), f"k={k} power={power} words={w}", per))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    for worst, mrr, label, per in rows[:12]:
        print(f"worst margin {worst:+.3f}  mean MRR {mrr:.3f}  {label}  {json.dumps(per)}")


if __name__ == "__main__":
    main()

"""Summaries, ratios and the markdown table of bench/bench_peers.py."""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np

TOOLS = ("picsift", "rclip", "clip-retrieval")
PEERS = TOOLS[1:]
INDEX_TARGET = 1.5  # picsift's indexing rate at least 1.5x the fastest peer's


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def summarise_index(runs: list[dict[str, Any]], images: int) -> dict[str, Any]:
    rates = [r["indexed"] / r["seconds"] for r in runs]
    last = runs[-1]
    out = {
        "images_per_s": [round(x, 3) for x in rates],
        "median_images_per_s": round(statistics.median(rates), 3),
        "rss_self_mb": max(r["rss_self_mb"] for r in runs),
        "pss_tree_mb": max(r["pss_tree_mb"] for r in runs),
        "disk_bytes": last["disk_bytes"],
        "disk_per_image_bytes": round(last["disk_bytes"] / images),
    }
    out |= {k: last[k] for k in ("stages", "index_key", "emb_bytes") if k in last}
    return out


def summarise_query(runs: list[dict[str, Any]], disk: int, size: int) -> dict[str, Any]:
    p50 = [statistics.median(r["ms"]) for r in runs]
    p99 = [pct(r["ms"], 99) for r in runs]
    out = {
        "p50_ms_per_round": [round(x, 2) for x in p50],
        "p50_ms": round(statistics.median(p50), 2),
        "p99_ms": round(statistics.median(p99), 2),
        "found": runs[-1]["found"],
        "rss_self_mb": max(r["rss_self_mb"] for r in runs),
        "pss_tree_mb": max(r["pss_tree_mb"] for r in runs),
        "disk_bytes": disk,
        "disk_per_image_bytes": round(disk / size),
    }
    return out | ({"index_key": runs[-1]["index_key"]} if "index_key" in runs[-1] else {})


def text_cosines(vectors: dict[str, list[float]]) -> dict[str, float]:
    """Cosine of each peer's text vector for the first query with picsift's: about 1 when
    the weights (and tokenizers) are the same."""
    ref = np.asarray(vectors["picsift"])
    return {
        p: round(
            float(np.dot(ref, vectors[p]) / np.linalg.norm(ref) / np.linalg.norm(vectors[p])), 6
        )
        for p in PEERS
        if p in vectors
    }


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "index" in result:
        rate = {t: result["index"][t]["median_images_per_s"] for t in TOOLS}
        fastest = max(PEERS, key=lambda p: rate[p])
        out["index_rate_picsift_over_peer"] = {
            p: round(rate["picsift"] / rate[p], 2) for p in PEERS
        }
        ratio = rate["picsift"] / rate[fastest]
        out["index_target"] = {
            "fastest_peer": fastest,
            "ratio": round(ratio, 2),
            "needed": INDEX_TARGET,
            "met": ratio >= INDEX_TARGET,
        }
    for size, row in result.get("query", {}).items():
        lat = {
            p: {k: round(row[p][k] / row["picsift"][k], 2) for k in ("p50_ms", "p99_ms")}
            for p in PEERS
        }
        out[f"query_{size}_peer_over_picsift"] = lat
        out[f"query_{size}_target"] = {
            "no_slower_than_any_peer_p50": all(v["p50_ms"] >= 1 for v in lat.values()),
            "no_slower_than_any_peer_p99": all(v["p99_ms"] >= 1 for v in lat.values()),
        }
    return out


def markdown(result: dict[str, Any]) -> str:
    cfg = result["config"]
    lines = [
        "# picsift beside rclip and clip-retrieval",
        "",
        f"Same CLIP ViT-B/32 at picsift's random weights (seed 0) in every tool; {cfg['threads']}"
        f" threads each; batch size {cfg['batch_size']}; {cfg['rounds']} interleaved rounds,"
        f" medians. Load average {result['load_average_before']} before,"
        f" {result['load_average_after']} after. Text-vector cosine to picsift's:"
        f" {result.get('text_cosine_to_picsift')}.",
        "",
    ]
    r = result["ratios"]
    if "index" in result:
        lines += [
            f"## Indexing {cfg['images']} clothing photos (folder to stored index)",
            "",
            "| tool | images/s (median) | picsift / tool | peak RSS MB | tree PSS MB"
            " | disk bytes/image |",
            "|---|---|---|---|---|---|",
        ]
        for t in TOOLS:
            row = result["index"][t]
            ratio = r["index_rate_picsift_over_peer"].get(t, 1.0)
            lines.append(
                f"| {t} | {row['median_images_per_s']} | {ratio} | {row['rss_self_mb']}"
                f" | {row['pss_tree_mb']} | {row['disk_per_image_bytes']} |"
            )
        tgt = r["index_target"]
        lines += [
            "",
            f"Target: picsift >= {tgt['needed']}x the fastest peer ({tgt['fastest_peer']}):"
            f" {tgt['ratio']}x, **{'met' if tgt['met'] else 'not met'}**.",
            "",
        ]
    for size, row in result.get("query", {}).items():
        lines += [
            f"## Text query to top 10, {size} stored synthetic vectors",
            "",
            "| tool | p50 ms | p99 ms | tool / picsift (p50) | peak RSS MB | disk bytes/image |",
            "|---|---|---|---|---|---|",
        ]
        lat = r[f"query_{size}_peer_over_picsift"]
        for t in TOOLS:
            q = row[t]
            ratio = lat[t]["p50_ms"] if t in lat else 1.0
            lines.append(
                f"| {t} | {q['p50_ms']} | {q['p99_ms']} | {ratio} | {q['rss_self_mb']}"
                f" | {q['disk_per_image_bytes']} |"
            )
        tgt = r[f"query_{size}_target"]
        met = tgt["no_slower_than_any_peer_p50"]
        lines += [
            "",
            f"Target: no slower than any peer (p50): **{'met' if met else 'not met'}**.",
            "",
        ]
    return "\n".join(lines) + "\n"

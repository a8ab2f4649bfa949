"""Reciprocal rank fusion with per-channel weights, and the per-query relative cutoff.

RRF only looks at ranks, so channels with incomparable scores (cosine, BM25) combine without
calibration; weights let a strong channel dominate a weak one, which equal-weight RRF does
not (it can make a search worse than its best channel).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ChannelHits:
    """One channel's ranked candidates: ids best first, with the channel's own scores."""

    name: str
    ids: list[int]
    scores: list[float]
    # optional per-hit confidence in [0, 1] that scales the hit's fused contribution
    strengths: list[float] | None = None


@dataclass
class Fused:
    id: int
    score: float
    # name -> {"rank": r, "score": s[, "coverage": c]}: why this image ranked where it did
    channels: dict[str, dict[str, float]] = field(default_factory=dict)


def relative_floor(best: float, cutoff: float) -> float:
    """Scores below ``cutoff`` x the channel's best for this query are 'far below' it.

    Relative to the query's own best because similarity scales differ between queries (a
    single global threshold does not work across them); no floor when the best is not
    positive.
    """
    return best * cutoff if best > 0 else float("-inf")


def fuse(
    results: list[ChannelHits], weights: dict[str, float], *, k: int = 60, cutoff: float = 0.0
) -> list[Fused]:
    """Weighted RRF. A candidate survives the cutoff if any channel ranks it near its best."""
    fused: dict[int, Fused] = {}
    keep: set[int] = set()
    for result in results:
        weight = weights.get(result.name, 0.0)
        if weight <= 0 or not result.ids:
            continue
        floor = relative_floor(result.scores[0], cutoff)
        strengths = result.strengths or [1.0] * len(result.ids)
        rows = zip(result.ids, result.scores, strengths, strict=True)
        for rank, (image_id, score, strength) in enumerate(rows, 1):
            item = fused.setdefault(image_id, Fused(image_id, 0.0))
            item.score += weight * strength / (k + rank)
            why = {"rank": rank, "score": score}  # rounded for display on the page only
            if result.strengths is not None:
                why["strength"] = strength
            item.channels[result.name] = why
            if score >= floor:
                keep.add(image_id)
    return sorted((f for f in fused.values() if f.id in keep), key=lambda f: (-f.score, f.id))

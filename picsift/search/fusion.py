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


@dataclass
class Fused:
    id: int
    score: float
    channels: dict[str, tuple[int, float]] = field(default_factory=dict)  # name -> (rank, score)


def relative_floor(best: float, cutoff: float) -> float:
    """Scores below this are 'far below the query's own best' for that channel."""
    return best * (1.0 - cutoff) if best > 0 else best - cutoff


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
        floor = relative_floor(result.scores[0], cutoff) if cutoff > 0 else float("-inf")
        for rank, (image_id, score) in enumerate(zip(result.ids, result.scores, strict=True), 1):
            item = fused.setdefault(image_id, Fused(image_id, 0.0))
            item.score += weight / (k + rank)
            item.channels[result.name] = (rank, score)
            if score >= floor:
                keep.add(image_id)
    ranked = sorted((f for f in fused.values() if f.id in keep), key=lambda f: (-f.score, f.id))
    return ranked

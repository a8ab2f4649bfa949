"""Fusing the channels' rankings into one, and the per-query relative cutoff.

Two methods (setting ``search_fusion``):

* ``scores`` (default): each channel's scores are put on one scale for this query (1 at the
  channel's best, 0 at its "no evidence" point) and the weighted sum ranks. A channel that is
  sure (one hit far above the rest) moves the result; one whose top hits are nearly tied
  only breaks ties. Convex combination of normalised scores beats reciprocal rank fusion in
  and out of domain (Bruch, Gai and Ingber 2023, "An Analysis of Fusion Functions for Hybrid
  Retrieval", ACM TOIS, arXiv:2210.11934); on our held-out caption queries RRF ranked worse
  than its best channel because it turns a dense channel's clear win into a near-tie
  (1/61 vs 1/62) that any weak word match overturns.
* ``rrf``: weighted reciprocal rank fusion (ranks only), kept for comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

FusionMethod = Literal["scores", "rrf"]
# A dense channel's "no evidence" point is its score at this rank: scale-free (CLIP cosines
# sit in 0.2-0.35, sentence cosines in 0.2-0.9) and the same for any page size, since every
# search asks a channel for at least 53 hits.
FLOOR_RANK = 50


@dataclass
class ChannelHits:
    """One channel's ranked candidates: ids best first, with the channel's own scores."""

    name: str
    ids: list[int]
    scores: list[float]
    # optional per-hit confidence in [0, 1] that scales the hit's fused contribution
    strengths: list[float] | None = None
    # the score that means "no evidence" (a word channel's 0); None: the score at FLOOR_RANK
    zero: float | None = None


@dataclass
class Fused:
    id: int
    score: float
    # name -> {"rank": r, "score": s[, "strength": c]}: why this image ranked where it did
    channels: dict[str, dict[str, float]] = field(default_factory=dict)


def relative_floor(best: float, cutoff: float) -> float:
    """Scores below ``cutoff`` x the channel's best for this query are 'far below' it.

    Relative to the query's own best because similarity scales differ between queries (a
    single global threshold does not work across them); no floor when the best is not
    positive.
    """
    return best * cutoff if best > 0 else float("-inf")


def scaled(result: ChannelHits) -> list[float]:
    """The channel's scores on the common scale: 1 at its best, 0 at its zero point."""
    if not result.scores:
        return []
    best = result.scores[0]
    zero = result.zero
    if zero is None:
        zero = result.scores[min(FLOOR_RANK, len(result.scores)) - 1]
    span = best - zero
    if span <= 0:  # all tied (or a single hit): every hit is as good as the best
        return [1.0] * len(result.scores)
    return [(s - zero) / span for s in result.scores]


def fuse(
    results: Sequence[ChannelHits],
    weights: dict[str, float],
    *,
    method: FusionMethod = "scores",
    k: int = 60,
    cutoff: float = 0.0,
) -> list[Fused]:
    """Fuse with ``method``; a candidate survives the cutoff if any channel ranks it near its
    best. An image a channel did not return counts as that channel's last hit (its real
    score is at most that), or as nothing for ``rrf``."""
    fused: dict[int, Fused] = {}
    keep: set[int] = set()
    base = 0.0  # every candidate's score before its own hits: each channel's fill
    for result in results:
        weight = weights.get(result.name, 0.0)
        if weight <= 0 or not result.ids:
            continue
        strengths = result.strengths or [1.0] * len(result.ids)
        if method == "rrf":
            values = [1.0 / (k + rank) for rank in range(1, len(result.ids) + 1)]
            fill = 0.0
        else:
            values = [v * s for v, s in zip(scaled(result), strengths, strict=True)]
            fill = min(0.0, values[-1]) if result.zero is not None else values[-1]
            strengths = [1.0] * len(result.ids)
        base += weight * fill
        floor = relative_floor(result.scores[0], cutoff)
        rows = zip(result.ids, result.scores, strengths, values, strict=True)
        for rank, (image_id, score, strength, value) in enumerate(rows, 1):
            item = fused.setdefault(image_id, Fused(image_id, 0.0))
            item.score += weight * (strength * value - fill)
            why = {"rank": rank, "score": score}  # rounded for display on the page only
            if result.strengths is not None:
                why["strength"] = result.strengths[rank - 1]
            item.channels[result.name] = why
            if score >= floor:
                keep.add(image_id)
    for item in fused.values():
        item.score += base
    return sorted((f for f in fused.values() if f.id in keep), key=lambda f: (-f.score, f.id))

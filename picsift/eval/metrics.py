"""Retrieval metrics, pure functions over ranked ids and relevance sets."""

from __future__ import annotations

from collections.abc import Sequence


def first_relevant_rank(ranked: Sequence[int], relevant: set[int]) -> int | None:
    """1-based rank of the first relevant id, or None when none was retrieved."""
    for rank, image_id in enumerate(ranked, 1):
        if image_id in relevant:
            return rank
    return None


def recall_at(ranks: Sequence[int | None], k: int) -> float:
    """Share of queries with a relevant image in the top ``k`` (success@k, the usual
    "Recall@K" of caption-to-image retrieval)."""
    if not ranks:
        return 0.0
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float:
    if not ranks:
        return 0.0
    return sum(1.0 / r for r in ranks if r is not None) / len(ranks)

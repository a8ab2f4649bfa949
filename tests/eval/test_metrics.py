"""Retrieval metrics against hand-computed values."""

from __future__ import annotations

import pytest

from picsift.eval.metrics import first_relevant_rank, mean_reciprocal_rank, recall_at


def test_three_query_toy_case() -> None:
    ranked = [[5, 1, 2], [3, 4, 9], [7, 8, 6]]
    relevant = [{1}, {3, 9}, {42}]
    ranks = [first_relevant_rank(r, rel) for r, rel in zip(ranked, relevant, strict=True)]
    assert ranks == [2, 1, None]
    assert recall_at(ranks, 1) == pytest.approx(1 / 3)
    assert recall_at(ranks, 2) == pytest.approx(2 / 3)
    assert mean_reciprocal_rank(ranks) == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert recall_at([], 5) == 0.0

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


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance between two sequences (characters of a string, or words)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def text_accuracy(predicted: Sequence[str], truth: Sequence[str], unit: str = "char") -> float:
    """1 - (total edit distance / total reference length), over a corpus, floored at 0;
    ``unit`` is ``char`` (whitespace-normalised, case kept) or ``word``."""
    errors = total = 0
    for got, want in zip(predicted, truth, strict=True):
        if unit == "word":
            a: Sequence[str] = got.split()
            b: Sequence[str] = want.split()
        else:
            a, b = " ".join(got.split()), " ".join(want.split())
        errors += edit_distance(a, b)
        total += len(b)
    return max(0.0, 1.0 - errors / total) if total else 0.0

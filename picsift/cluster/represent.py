"""What stands for a category: its centroid, its medoid and a few diverse representatives.

All vectors are unit rows, so cosine similarity is a dot product. Work over many rows is done
in chunks so that 500k x 512 inputs never get a same-sized temporary.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from picsift.models.base import l2_normalize

CHUNK = 16_384  # rows per block: 32 MB of 512-d float32 temporaries at most


def centroid(vectors: np.ndarray) -> np.ndarray:
    """Normalised mean: the direction the members agree on (unit, float32 [dim])."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2 or len(arr) == 0:
        raise ValueError("centroid needs a non-empty 2-D array")
    return l2_normalize(arr.mean(axis=0, keepdims=True))[0]


def medoid(vectors: np.ndarray) -> int:
    """Row index of the member most similar to all the others.

    For unit rows ``argmax_i sum_j x_i . x_j = argmax_i x_i . sum_j x_j``, i.e. the member
    nearest the centroid: the exact cosine medoid in O(n) instead of O(n^2).
    """
    arr = np.asarray(vectors, dtype=np.float32)
    return int(np.argmax(arr @ centroid(arr)))


def representatives(vectors: np.ndarray, k: int, lambda_: float = 0.7) -> list[int]:
    """Row indices of ``k`` members by maximal marginal relevance, most typical first.

    Each step takes ``argmax lambda * sim(x, centroid) - (1 - lambda) * max_s sim(x, s)`` over
    the members not yet chosen: near the centroid (typical) but unlike what is already shown,
    so a cluster with near-duplicates does not show the same photo k times. ``lambda_ = 1``
    is plain "nearest the centroid"; 0 is pure diversity.
    """
    if not 0.0 <= lambda_ <= 1.0:
        raise ValueError("lambda_ must be within [0, 1]")
    arr = np.asarray(vectors, dtype=np.float32)
    n = len(arr)
    if n == 0 or k <= 0:
        return []
    relevance = arr @ centroid(arr)
    redundancy = np.full(n, -np.inf, dtype=np.float32)
    chosen: list[int] = []
    available = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        # the first pick has nothing to be redundant with: the most typical member
        score = lambda_ * relevance - (1.0 - lambda_) * redundancy if chosen else relevance.copy()
        score[~available] = -np.inf
        best = int(np.argmax(score))
        chosen.append(best)
        available[best] = False
        np.maximum(redundancy, arr @ arr[best], out=redundancy)
    return chosen


def label_centroids(vectors: np.ndarray, labels: np.ndarray, n_labels: int) -> np.ndarray:
    """Unit centroid per label 0..n_labels-1 (rows with label < 0 are ignored).

    One sparse (labels x rows) product instead of a Python loop over clusters.
    """
    labels = np.asarray(labels)
    keep = np.flatnonzero((labels >= 0) & (labels < n_labels))
    dim = vectors.shape[1]
    if n_labels == 0:
        return np.zeros((0, dim), dtype=np.float32)
    sums = np.zeros((n_labels, dim), dtype=np.float32)
    for start in range(0, len(keep), CHUNK):
        rows = keep[start : start + CHUNK]
        onehot = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (labels[rows], np.arange(len(rows)))),
            shape=(n_labels, len(rows)),
        )
        sums += onehot @ np.asarray(vectors[rows], dtype=np.float32)
    return l2_normalize(sums)


def own_similarity(vectors: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Cosine of each row to its own label's centroid (0.0 for rows with label < 0)."""
    out = np.zeros(len(labels), dtype=np.float32)
    for start in range(0, len(labels), CHUNK):
        stop = start + CHUNK
        lab = labels[start:stop]
        mask = lab >= 0
        block = np.asarray(vectors[start:stop][mask], dtype=np.float32)
        out[start:stop][mask] = np.einsum("ij,ij->i", block, centroids[lab[mask]])
    return out


def nearest_centroids(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row index of the most similar centroid and that cosine, for every row.

    Returns ``(-1, -inf)`` rows when there are no centroids.
    """
    n = len(vectors)
    best = np.full(n, -1, dtype=np.int64)
    sims = np.full(n, -np.inf, dtype=np.float32)
    if len(centroids) == 0 or n == 0:
        return best, sims
    cents = np.asarray(centroids, dtype=np.float32)
    step = max(1, min(CHUNK, 50_000_000 // max(1, len(cents))))
    for start in range(0, n, step):
        scores = np.asarray(vectors[start : start + step], dtype=np.float32) @ cents.T
        idx = np.argmax(scores, axis=1)
        best[start : start + step] = idx
        sims[start : start + step] = scores[np.arange(len(idx)), idx]
    return best, sims

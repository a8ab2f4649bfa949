"""Parent categories: group the leaf clusters into a shallow tree a person can walk.

HDBSCAN's condensed tree is binary, deep and lopsided (one split per density level), which
makes a poor menu. Instead the leaf centroids are clustered once more, by Ward agglomeration
(on unit vectors Euclidean distance is a monotone function of cosine), into about sqrt(k)
parents: sqrt(k) top-level entries of about sqrt(k) children each keeps both levels short.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from picsift.models.base import l2_normalize

MIN_LEAVES_FOR_PARENTS = 4


def default_parent_count(n_leaves: int) -> int:
    """About sqrt(k) parents; none below four leaves (a two-level tree would not help)."""
    if n_leaves < MIN_LEAVES_FOR_PARENTS:
        return 0
    return max(2, round(math.sqrt(n_leaves)))


def group_leaves(
    centroids: np.ndarray, sizes: np.ndarray, parent_count: int | None = None
) -> tuple[dict[int, int], np.ndarray, np.ndarray]:
    """Parents for leaves ``0..k-1``; parent labels are ``k, k+1, ...`` (distinct from leaves).

    Returns ``(parents, parent_centroids, parent_sizes)``: ``parents`` maps a leaf to its
    parent. A group of one leaf gets no parent (a parent with a single child is a useless
    click), so leaves missing from ``parents`` are top-level. Parent centroids are the
    size-weighted, normalised mean of their children's centroids. Deterministic.
    """
    k = len(centroids)
    dim = centroids.shape[1] if centroids.ndim == 2 else 0
    count = default_parent_count(k) if parent_count is None else min(parent_count, k - 1)
    empty = np.zeros((0, dim), dtype=np.float32), np.zeros(0, dtype=np.int64)
    if count < 1 or k < 2:
        return {}, *empty
    tree = linkage(np.asarray(centroids, dtype=np.float64), method="ward")
    groups = fcluster(tree, t=count, criterion="maxclust") - 1
    # number groups by their first leaf so labels do not depend on scipy's numbering
    order = sorted(set(groups.tolist()), key=lambda g: int(np.flatnonzero(groups == g)[0]))
    parents: dict[int, int] = {}
    cents: list[np.ndarray] = []
    psizes: list[int] = []
    for group in order:
        leaves = np.flatnonzero(groups == group)
        if len(leaves) < 2:
            continue
        label = k + len(cents)
        for leaf in leaves:
            parents[int(leaf)] = label
        weights = sizes[leaves].astype(np.float32)[:, None]
        cents.append((centroids[leaves] * weights).sum(axis=0))
        psizes.append(int(sizes[leaves].sum()))
    if not cents:
        return {}, *empty
    return parents, l2_normalize(np.stack(cents)), np.asarray(psizes, dtype=np.int64)

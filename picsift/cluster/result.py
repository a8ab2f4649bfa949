"""The outcome of one clustering run: plain arrays keyed by row, plus small per-label tables.

Arrays rather than per-image objects so 500k rows stay cheap to hold and to persist.
Labels are positional: leaves are ``0..n_leaves-1`` (largest first) and parents follow, so
``centroids[label]`` and ``sizes[label]`` work for both. Labels are *not* stable across runs;
:func:`picsift.cluster.stability.match_clusters` maps them onto persistent category ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from picsift.cluster.params import ClusterParams

NOISE = -1


@dataclass(frozen=True)
class Clustering:
    """Per row (aligned with ``ids``):

    - ``labels``: leaf label, ``-1`` = noise ("Unsorted").
    - ``probabilities``: HDBSCAN membership strength in [0, 1] (0 for noise).
    - ``suggestions``: for noise rows, the nearest leaf if it is close enough, else -1.
    - ``suggestion_similarity``: cosine to that leaf's centroid (0.0 where no suggestion).
    - ``projection``: 2-D coordinates for a map view.

    Per label: ``centroids`` (unit, original embedding space, leaves then parents), ``sizes``;
    per leaf: ``medoid_ids``, ``medoids`` (their vectors) and ``join_thresholds`` (the cosine
    a new photo needs to join that leaf, see ``ClusterParams.join_z``).
    ``parents`` maps leaf -> parent label; leaves without an entry are top-level.
    """

    ids: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray
    suggestions: np.ndarray
    suggestion_similarity: np.ndarray
    projection: np.ndarray
    centroids: np.ndarray
    sizes: np.ndarray
    medoid_ids: np.ndarray
    medoids: np.ndarray
    join_thresholds: np.ndarray
    parents: dict[int, int]
    n_leaves: int
    fitted_on: int
    params: ClusterParams
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def n_parents(self) -> int:
        return len(self.centroids) - self.n_leaves

    @property
    def leaf_labels(self) -> list[int]:
        return list(range(self.n_leaves))

    @property
    def parent_labels(self) -> list[int]:
        return list(range(self.n_leaves, len(self.centroids)))

    def top_level(self) -> list[int]:
        """What a person sees first: every parent, then the leaves that have none."""
        return self.parent_labels + [leaf for leaf in self.leaf_labels if leaf not in self.parents]

    def children(self, parent: int) -> list[int]:
        return sorted(leaf for leaf, p in self.parents.items() if p == parent)

    def leaves_under(self, label: int) -> list[int]:
        return self.children(label) if label >= self.n_leaves else [label]

    def members(self, label: int) -> np.ndarray:
        """Ids in a leaf, in a parent (all its children), or in Unsorted for ``-1``."""
        if label == NOISE:
            return self.ids[self.labels == NOISE]
        return self.ids[np.isin(self.labels, self.leaves_under(label))]

    def member_sets(self) -> dict[int, set[int]]:
        """Leaf label -> set of ids, the input :func:`match_clusters` expects."""
        out: dict[int, set[int]] = {leaf: set() for leaf in self.leaf_labels}
        order = np.argsort(self.labels, kind="stable")
        labels = self.labels[order]
        starts = np.searchsorted(labels, np.arange(self.n_leaves))
        stops = np.searchsorted(labels, np.arange(self.n_leaves), side="right")
        for leaf, (a, b) in enumerate(zip(starts, stops, strict=True)):
            out[leaf] = set(self.ids[order[a:b]].tolist())
        return out

    @property
    def noise_fraction(self) -> float:
        return float(np.mean(self.labels == NOISE)) if len(self.labels) else 0.0

"""Clustering knobs, with defaults derived from the library size.

One dataclass so the integrator can persist exactly what produced a clustering, and so a
person can override one knob (``dataclasses.replace``) without re-deriving the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Literal

SelectionMethod = Literal["eom", "leaf"]

# Measured on 2 shared cores (bench/bench_cluster.py): hdbscan's Boruvka KD-tree is close to
# quadratic on 32-d embeddings (10k rows ~6 s, 20k ~30 s, 30k ~70 s), while placing the rest
# with approximate_predict costs ~25k rows/s. Fitting on at most 20k rows keeps 100k rows
# under a minute and 500k rows near one; categories of a few dozen photos still show up in
# the sample (their minimum size shrinks with it, see ``scaled_to_sample``).
DEFAULT_MAX_FIT_POINTS = 20_000


@dataclass(frozen=True)
class ClusterParams:
    """How to cluster one library.

    - ``min_cluster_size``: the smallest group of photos that becomes a category.
    - ``min_samples``: neighbours used to estimate density; small values leave fewer photos
      in "Unsorted" (a photo library should sort most of its photos) and keep the core
      distance search cheap.
    - ``selection_method``: ``"eom"`` picks the most persistent clusters (fewer, broader
      categories); ``"leaf"`` takes the finest ones (more, tighter categories, more noise).
    - ``reduce_to``: PCA dimensions before HDBSCAN (None = cluster the raw vectors). Density
      estimates degrade in 512-d and tree searches get slow, so 32 is the default.
    - ``max_fit_points``: above this many rows HDBSCAN is fitted on a random sample and the
      rest is placed with ``hdbscan.approximate_predict`` (memory and time stay bounded).
    - ``parent_count``: number of parent categories (None = about sqrt(leaves); 0 = none).
    - ``renormalize``: L2-normalise the PCA output, so HDBSCAN's Euclidean distance works as
      cosine in the reduced space (clusters come out purer: ARI 0.96 vs 0.91 on the 10k
      benchmark). Its flaw, an atypical photo's short reduced vector stretched onto some
      cluster's direction, is undone by the ``outlier_z`` check in the full space.
    - ``outlier_z``: members whose cosine to their centroid (in the full space) is more than
      this many robust standard deviations below the cluster's median go back to noise;
      HDBSCAN only saw the reduced space (and ``approximate_predict`` only a sample), so
      this check in the original space catches what they got wrong. None disables it.
    - ``join_z`` / ``suggest_z``: a point is close enough to a category when its cosine to the
      centroid is at least ``median - z * spread`` of the members' cosines. Joining a newly
      indexed photo happens unattended, so it is stricter (inside the members' range);
      suggestions for Unsorted photos are a hint a person confirms, so they reach further.
    - ``absorb``: noise points within a category's join threshold join it at once, as they
      would if indexed after clustering. HDBSCAN leaves the points between dense regions as
      noise; in caption space, where descriptions vary more than pictures do, that was more
      than a third of a library of real captions (COCO), all of them near some category.
    - ``min_spread``: floor on that spread (a cluster of near-duplicates has almost none).
    - ``similarity_floor``: optional absolute cosine floor on both thresholds.
    - ``random_state``: seeds the sample and the randomized PCA (results are reproducible).
    """

    min_cluster_size: int = 15
    min_samples: int | None = 5
    selection_method: SelectionMethod = "eom"
    reduce_to: int | None = 32
    max_fit_points: int = DEFAULT_MAX_FIT_POINTS
    parent_count: int | None = None
    renormalize: bool = True
    outlier_z: float | None = 4.0
    join_z: float = 3.0
    suggest_z: float = 7.0
    absorb: bool = True
    min_spread: float = 0.01
    similarity_floor: float | None = None
    random_state: int = 0

    def __post_init__(self) -> None:
        if self.min_cluster_size < 2:
            raise ValueError("min_cluster_size must be at least 2")
        if self.min_samples is not None and self.min_samples < 1:
            raise ValueError("min_samples must be at least 1")
        if self.selection_method not in ("eom", "leaf"):
            raise ValueError(
                f"selection_method must be 'eom' or 'leaf', not {self.selection_method!r}"
            )
        if self.reduce_to is not None and self.reduce_to < 2:
            raise ValueError("reduce_to must be at least 2 (or None)")
        if self.max_fit_points < 100:
            raise ValueError("max_fit_points must be at least 100")
        if self.parent_count is not None and self.parent_count < 0:
            raise ValueError("parent_count must be >= 0 (or None)")
        if self.outlier_z is not None and self.outlier_z <= 0:
            raise ValueError("outlier_z must be positive (or None)")
        if self.join_z < 0 or self.suggest_z < 0 or self.min_spread < 0:
            raise ValueError("join_z, suggest_z and min_spread must be >= 0")

    @classmethod
    def for_size(cls, n: int, **overrides: Any) -> ClusterParams:
        """Defaults for a library of ``n`` photos; keyword arguments override any field.

        ``min_cluster_size = clamp(round(sqrt(n) / 3), 5, 200)``: categories should grow
        sublinearly with the library so that their number (at most n / min_cluster_size, about
        3 sqrt(n)) stays browsable: 1k photos -> 11, 10k -> 33, 100k -> 105. Five is the
        smallest group worth a name; the cap keeps genuinely distinct themes (one trip, one
        pet) from being swallowed by bigger neighbours in very large libraries, and the
        parent level already groups many small categories. ``min_samples`` stays small
        (5, never above min_cluster_size) for the reasons given on the class, and drops to
        ``max(2, min_cluster_size // 3)`` for small libraries: with a few hundred photos a
        density of 5 neighbours merges distinct kinds (measured on the team's 100 captioned
        clothing photos: NMI 0.21 with 5, 0.60 with 2).
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        size = int(min(200, max(5, round(math.sqrt(n) / 3))))
        params = cls(min_cluster_size=size, min_samples=min(5, max(2, size // 3)))
        return replace(params, **overrides) if overrides else params

    def scaled_to_sample(self, n: int, n_fit: int) -> ClusterParams:
        """The same params for a fit on ``n_fit`` of ``n`` rows: a category of m photos has
        about m * n_fit / n of them in the sample, so the minimum size shrinks with it."""
        if n_fit >= n:
            return self
        size = max(5, round(self.min_cluster_size * n_fit / n))
        samples = None if self.min_samples is None else min(self.min_samples, size)
        return replace(self, min_cluster_size=size, min_samples=samples)

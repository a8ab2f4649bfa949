from __future__ import annotations

import numpy as np

from picsift.cluster import centroid, medoid, nearest_centroids, representatives
from tests.cluster.synthetic import around, directions, unit


def test_centroid_is_the_normalised_mean() -> None:
    rows = unit(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    assert np.allclose(centroid(rows), unit(np.array([[1.0, 1.0, 0.0]]))[0])


def test_medoid_matches_the_brute_force_cosine_medoid() -> None:
    rng = np.random.default_rng(0)
    rows = around(rng, directions(rng, 1)[0], 40, spread=0.3)
    brute = int(np.argmax((rows @ rows.T).sum(axis=1)))
    assert medoid(rows) == brute


def test_mmr_representatives_are_diverse_not_near_duplicates() -> None:
    rng = np.random.default_rng(0)
    centre = directions(rng, 1)[0]
    # a burst of eight near-copies of one rather typical photo, and forty ordinary members
    typical = around(rng, centre, 1, spread=0.08)[0]
    copies = unit(typical + rng.standard_normal((8, len(centre))) * 0.01)
    others = around(rng, centre, 40, spread=0.12)
    rows = np.concatenate([copies, others])

    chosen = representatives(rows, k=6, lambda_=0.7)
    assert len(chosen) == len(set(chosen)) == 6
    assert sum(1 for i in chosen if i < 8) <= 1  # one copy is enough
    nearest_first = list(np.argsort(-(rows @ centroid(rows)))[:6])
    assert sum(1 for i in nearest_first if i < 8) == 6  # what plain centrality would show
    sims = rows[chosen] @ rows[chosen].T
    assert sims[~np.eye(6, dtype=bool)].max() < 0.95


def test_mmr_edge_cases() -> None:
    rows = unit(np.eye(3, dtype=np.float32))
    assert representatives(rows, 0) == []
    assert sorted(representatives(rows, 10)) == [0, 1, 2]
    assert representatives(rows[:0], 3) == []


def test_nearest_centroids_without_centroids() -> None:
    best, sims = nearest_centroids(np.ones((2, 3), np.float32), np.zeros((0, 3), np.float32))
    assert best.tolist() == [-1, -1] and np.all(np.isneginf(sims))

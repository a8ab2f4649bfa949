from __future__ import annotations

import numpy as np

from picsift.cluster import ClusterParams, assign_new_points, fit_clusters, match_clusters
from tests.cluster.synthetic import around, blobs, unit


def r(a: int, b: int) -> set[int]:
    return set(range(a, b))


def test_match_rules_keep_split_merge_born_died() -> None:
    old = {10: r(0, 10), 11: r(10, 30), 12: r(30, 40), 13: r(40, 52), 14: r(60, 65)}
    new = {
        0: r(0, 10) | {100, 101},  # 10 continues with two new photos
        1: r(10, 22),  # 11 splits: the larger piece keeps the id
        2: r(22, 30),
        3: r(30, 52),  # 12 and 13 merge: the larger contributor's id (13) is kept
        4: r(200, 210),  # nothing like it before
    }
    m = match_clusters(old, new, next_id=50)
    assert m.kept == {0: 10, 1: 11, 3: 13}
    assert m.ids == {0: 10, 1: 11, 2: 50, 3: 13, 4: 51}
    assert m.split == {11: [1, 2]}
    assert m.merged == {3: [13, 12]}
    assert m.born == [4]
    assert m.died == [14]  # 12 is not dead: it lives on inside 3
    assert m.jaccard[0] == 10 / 12


def test_fresh_ids_default_above_the_old_ones_and_empty_inputs() -> None:
    assert match_clusters({}, {0: {1}}).ids == {0: 0}
    m = match_clusters({7: {1, 2}}, {})
    assert m.ids == {} and m.died == [7]
    assert match_clusters({7: {1}}, {0: {5}}).ids == {0: 8}


def test_reclustering_with_more_photos_keeps_every_id() -> None:
    vectors, _, centres = blobs(seed=4, k=5, per=60)
    ids = np.arange(len(vectors))
    params = ClusterParams(min_cluster_size=10)
    first = fit_clusters(ids, vectors, params)
    old = {100 + label: members for label, members in first.member_sets().items()}

    rng = np.random.default_rng(5)
    extra = np.concatenate([around(rng, c, 15) for c in centres])
    both = np.concatenate([vectors, extra])
    second = fit_clusters(np.arange(len(both)), both, params)
    m = match_clusters(old, second.member_sets())

    assert sorted(m.kept.values()) == sorted(old)
    assert m.born == [] and m.died == [] and m.split == {} and m.merged == {}
    assert min(m.jaccard.values()) > 0.7
    # the same photos carry the same category id as before
    for label, old_id in m.kept.items():
        before = old[old_id]
        now = second.member_sets()[label]
        assert len(before & now) >= 0.9 * len(before)


def test_reclustering_detects_a_split_and_a_merge() -> None:
    # two groups of two close sub-groups each: broad categories ("eom") see the two groups,
    # fine ones ("leaf") the four sub-groups; going fine splits, going broad merges
    rng = np.random.default_rng(6)
    dim = 64
    a, d = unit(rng.standard_normal((2, dim)))
    parts = []
    for top in (a, d):
        for _ in range(2):
            sub = unit(top + rng.standard_normal(dim) * 0.06)
            parts.append(around(rng, sub, 60, spread=0.05))
    vectors = np.concatenate(parts)
    ids = np.arange(len(vectors))
    broad = fit_clusters(ids, vectors, ClusterParams(min_cluster_size=20, parent_count=0))
    fine = fit_clusters(
        ids, vectors, ClusterParams(min_cluster_size=20, selection_method="leaf", parent_count=0)
    )
    assert broad.n_leaves == 2 and fine.n_leaves == 4

    old = {10 + label: members for label, members in broad.member_sets().items()}
    going_fine = match_clusters(old, fine.member_sets())
    assert sorted(going_fine.split) == [10, 11]
    assert all(len(pieces) == 2 for pieces in going_fine.split.values())
    assert sorted(going_fine.kept.values()) == [10, 11]  # the larger piece keeps each id

    old = {20 + label: members for label, members in fine.member_sets().items()}
    going_broad = match_clusters(old, broad.member_sets())
    assert len(going_broad.merged) == 2
    assert all(len(olds) == 2 for olds in going_broad.merged.values())
    assert going_broad.died == [] and going_broad.born == []


def test_assign_new_points_joins_when_close_enough() -> None:
    centres = unit(np.eye(3, 8, dtype=np.float32))
    rng = np.random.default_rng(7)
    near = around(rng, centres[1], 3, spread=0.05)
    far = unit(rng.standard_normal((2, 8)))
    vectors = np.concatenate([near, unit(centres[0] + centres[2])[None], far])
    labels = assign_new_points(vectors, centres, threshold=0.8)
    assert labels[:3].tolist() == [1, 1, 1]
    assert labels[3] == -1  # halfway between two categories (cosine 0.71 to each)
    per_centroid = assign_new_points(vectors[3:4], centres, np.array([0.7, 0.9, 0.9]))
    assert per_centroid.tolist() == [0]
    named = assign_new_points(near, centres, 0.8, labels=[40, 41, 42])
    assert named.tolist() == [41, 41, 41]
    assert assign_new_points(near, np.zeros((0, 8), np.float32), 0.5).tolist() == [-1] * 3

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from picsift.cluster import ClusterParams, fit_clusters
from tests.cluster.synthetic import at_cosine, blobs, nested


def test_params_grow_with_the_library_and_can_be_overridden() -> None:
    assert ClusterParams.for_size(50).min_cluster_size == 5
    assert ClusterParams.for_size(10_000).min_cluster_size == 33
    assert ClusterParams.for_size(100_000).min_cluster_size == 105
    assert ClusterParams.for_size(5_000_000).min_cluster_size == 200
    params = ClusterParams.for_size(10_000, selection_method="leaf", reduce_to=None)
    assert params.selection_method == "leaf" and params.reduce_to is None
    assert params.min_cluster_size == 33
    assert params.scaled_to_sample(100_000, 20_000).min_cluster_size == 7
    with pytest.raises(ValueError):
        ClusterParams(selection_method="best")  # type: ignore[arg-type]


def test_well_separated_blobs_are_found_and_uniform_noise_is_unsorted() -> None:
    vectors, truth, _ = blobs(seed=0, k=6, per=60, noise=30)
    ids = np.arange(1000, 1000 + len(vectors))
    result = fit_clusters(ids, vectors)

    real = truth >= 0
    assert result.n_leaves == 6
    assert adjusted_rand_score(truth[real], result.labels[real]) >= 0.9
    assert np.mean(result.labels[~real] == -1) >= 0.9
    assert np.all(result.suggestions[~real] == -1)  # unlike every category: no suggestion
    assert np.all(result.probabilities[result.labels == -1] == 0)
    assert np.array_equal(result.ids, ids)


def test_stragglers_near_a_category_are_unsorted_with_a_suggestion() -> None:
    vectors, _, _ = blobs(seed=1, k=5, per=60, spread=0.08)
    ids = np.arange(len(vectors) + 10)
    first = fit_clusters(ids[: len(vectors)], vectors)
    assert first.n_leaves == 5
    # per category, two photos 5.5 robust deviations below the members' typical cosine to the
    # centroid: past the point where members are dropped (4), within suggestion reach (7)
    rng = np.random.default_rng(2)
    fringe, fringe_label = [], []
    for leaf in range(5):
        cos = vectors[first.labels == leaf] @ first.centroids[leaf]
        spread = 1.4826 * np.median(np.abs(cos - np.median(cos)))
        fringe.append(at_cosine(rng, first.centroids[leaf], 2, np.median(cos) - 5.5 * spread))
        fringe_label += [leaf, leaf]
    result = fit_clusters(ids, np.concatenate([vectors, *fringe]))

    same = {  # labels may be renumbered between the two runs
        leaf: int(np.bincount(result.labels[: len(vectors)][first.labels == leaf]).argmax())
        for leaf in range(5)
    }
    assert np.all(result.labels[-10:] == -1)
    assert result.suggestions[-10:].tolist() == [same[leaf] for leaf in fringe_label]
    assert np.all(result.suggestion_similarity[-10:] > 0.5)
    assert np.all(result.suggestions[: len(vectors)][result.labels[: len(vectors)] >= 0] == -1)


def test_noise_within_a_join_threshold_joins_at_once() -> None:
    vectors, _, _ = blobs(seed=1, k=5, per=60, spread=0.08)
    first = fit_clusters(np.arange(len(vectors)), vectors)
    # per category, three photos 5.5 robust deviations below the members' typical cosine to
    # the centroid: past where members go back to noise (4), within a join threshold of 6.5
    rng = np.random.default_rng(4)
    fringe = []
    for leaf in range(first.n_leaves):
        cos = vectors[first.labels == leaf] @ first.centroids[leaf]
        spread = 1.4826 * np.median(np.abs(cos - np.median(cos)))
        fringe.append(at_cosine(rng, first.centroids[leaf], 3, np.median(cos) - 5.5 * spread))
    everything = np.concatenate([vectors, *fringe])
    ids = np.arange(len(everything))
    kept = fit_clusters(ids, everything, ClusterParams(join_z=6.5, absorb=False))
    joined = fit_clusters(ids, everything, ClusterParams(join_z=6.5))
    assert kept.n_leaves == joined.n_leaves == 5
    assert np.allclose(kept.centroids, joined.centroids)  # from the dense members only
    moved = (kept.labels == -1) & (joined.labels >= 0)
    assert moved[-15:].sum() >= 10 and (joined.labels == -1).sum() < (kept.labels == -1).sum()
    assert np.array_equal(joined.labels[~moved], kept.labels[~moved])
    # each photo that moved is as close to its category as a newly indexed photo must be
    sims = np.einsum("ij,ij->i", everything[moved], joined.centroids[joined.labels[moved]])
    assert np.all(sims >= joined.join_thresholds[joined.labels[moved]] - 1e-6)
    # and every photo still Unsorted is below every category's threshold
    rest = everything[joined.labels == -1] @ joined.centroids[: joined.n_leaves].T
    assert np.all(rest < joined.join_thresholds[None, :])


def test_nested_groups_give_a_walkable_two_level_tree() -> None:
    vectors, truth, group_of = nested(seed=3, groups=3, subs=3, per=50)
    params = ClusterParams(min_cluster_size=15, selection_method="leaf")
    result = fit_clusters(np.arange(len(vectors)), vectors, params)

    assert result.n_leaves == 9
    assert adjusted_rand_score(truth, result.labels) >= 0.9
    assert result.n_parents == 3
    assert set(result.parents) == set(result.leaf_labels)  # every leaf sits under a parent
    assert set(result.parents.values()) == set(result.parent_labels) == {9, 10, 11}
    for parent in result.parent_labels:
        groups = {
            int(group_of[np.bincount(truth[result.labels == leaf]).argmax()])
            for leaf in result.children(parent)
        }
        assert len(groups) == 1  # a parent gathers sub-groups of one true group
        assert result.sizes[parent] == sum(result.sizes[c] for c in result.children(parent))
    assert len(result.members(9)) == result.sizes[9]
    assert result.top_level() == [9, 10, 11]


def test_a_fit_on_a_sample_places_the_rest_like_a_full_fit() -> None:
    vectors, truth, _ = blobs(seed=5, k=4, per=400)
    params = ClusterParams(min_cluster_size=40, max_fit_points=400)
    result = fit_clusters(np.arange(len(vectors)), vectors, params)
    assert result.fitted_on == 400
    assert result.n_leaves == 4
    assert adjusted_rand_score(truth, result.labels) >= 0.9
    assert result.noise_fraction < 0.1


def test_results_are_deterministic_and_consistent() -> None:
    vectors, _, _ = blobs(seed=6, k=5, per=50, noise=10)
    ids = np.arange(len(vectors)) * 3
    a = fit_clusters(ids, vectors)
    b = fit_clusters(ids, vectors)
    assert np.array_equal(a.labels, b.labels)
    assert np.array_equal(a.projection, b.projection)
    assert a.projection.shape == (len(vectors), 2) and np.all(np.isfinite(a.projection))

    assert np.allclose(np.linalg.norm(a.centroids, axis=1), 1.0, atol=1e-5)
    assert a.sizes[: a.n_leaves].tolist() == sorted(a.sizes[: a.n_leaves].tolist(), reverse=True)
    sets = a.member_sets()
    assert sum(len(s) for s in sets.values()) == int(np.sum(a.labels >= 0))
    for leaf, medoid_id in enumerate(a.medoid_ids):
        assert int(medoid_id) in sets[leaf]
    assert a.join_thresholds.shape == (a.n_leaves,)
    assert set(a.members(-1).tolist()) == set(ids[a.labels == -1].tolist())


@pytest.mark.parametrize("n", [0, 1, 4])
def test_tiny_libraries_are_all_unsorted(n: int) -> None:
    vectors, _, _ = blobs(seed=7, k=1, per=max(n, 1))
    result = fit_clusters(np.arange(n), vectors[:n])
    assert result.n_leaves == 0 and result.parents == {}
    assert result.labels.tolist() == [-1] * n
    assert result.projection.shape == (n, 2)


def test_rejects_mismatched_inputs() -> None:
    with pytest.raises(ValueError):
        fit_clusters(np.arange(3), np.zeros((2, 4), np.float32))

"""Fit categories on a library's embeddings: PCA -> L2 -> HDBSCAN -> check in the full space.

HDBSCAN because the number of categories is unknown and a photo library always has photos
that belong nowhere: it finds clusters of varying density and leaves the rest as noise
("Unsorted") instead of forcing every photo into a group as k-means would.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import faiss
import hdbscan
import numpy as np
from sklearn.decomposition import PCA

from picsift.cluster.hierarchy import group_leaves
from picsift.cluster.params import ClusterParams
from picsift.cluster.represent import CHUNK, label_centroids, nearest_centroids, own_similarity
from picsift.cluster.result import NOISE, Clustering
from picsift.models.base import l2_normalize

PREDICT_CHUNK = 50_000


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """The input as float32 unit rows, copying only when it is not already that."""
    arr = np.asarray(vectors, dtype=np.float32)
    for start in range(0, len(arr), CHUNK):
        norms = np.linalg.norm(arr[start : start + CHUNK], axis=1)
        if np.any(np.abs(norms - 1.0) > 1e-3):
            return l2_normalize(arr)
    return arr


def _apply(model: PCA, data: np.ndarray, normalize: bool) -> np.ndarray:
    """Transform in chunks so the float64 temporaries stay small for 500k rows."""
    out = np.empty((len(data), model.n_components_), dtype=np.float32)
    for start in range(0, len(data), CHUNK):
        out[start : start + CHUNK] = model.transform(data[start : start + CHUNK])
    return l2_normalize(out) if normalize else out


def _robust_stats(values: np.ndarray, labels: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per label: median of ``values`` and 1.4826 x MAD (a standard deviation that a few
    stragglers cannot inflate)."""
    medians = np.zeros(k, dtype=np.float32)
    spreads = np.zeros(k, dtype=np.float32)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    for leaf in range(k):
        a, b = np.searchsorted(sorted_labels, [leaf, leaf + 1])
        group = values[order[a:b]]
        if len(group):
            medians[leaf] = np.median(group)
            spreads[leaf] = 1.4826 * np.median(np.abs(group - medians[leaf]))
    return medians, spreads


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Largest cluster first (ties: earliest row first), so label order is meaningful."""
    members = labels >= 0
    if not members.any():
        return labels
    found, first = np.unique(labels[members], return_index=True)
    counts = np.bincount(labels[members])[found]
    order = np.lexsort((first, -counts))
    mapping = np.full(int(found.max()) + 1, NOISE, dtype=np.int64)
    mapping[found[order]] = np.arange(len(found))
    return np.where(labels >= 0, mapping[np.maximum(labels, 0)], NOISE)


def _hdbscan(points: np.ndarray, params: ClusterParams, predictable: bool) -> hdbscan.HDBSCAN:
    return hdbscan.HDBSCAN(
        min_cluster_size=params.min_cluster_size,
        min_samples=params.min_samples,
        metric="euclidean",
        cluster_selection_method=params.selection_method,
        core_dist_n_jobs=_cores(),
        # only needed to place the rows left out of the sample; it costs time and memory
        prediction_data=predictable,
    ).fit(points)


@dataclass
class _Stats:
    """Per-leaf centroid (full space), members' cosines to it, their median and spread."""

    labels: np.ndarray
    k: int
    centroids: np.ndarray
    own: np.ndarray
    medians: np.ndarray
    spreads: np.ndarray


def _stats(vecs: np.ndarray, labels: np.ndarray, params: ClusterParams) -> _Stats:
    labels = _relabel_by_size(labels)
    k = int(labels.max()) + 1 if len(labels) else 0
    centroids = label_centroids(vecs, labels, k)
    own = own_similarity(vecs, labels, centroids)
    medians, spreads = _robust_stats(own, labels, k)
    return _Stats(labels, k, centroids, own, medians, np.maximum(spreads, params.min_spread))


def _drop_strays(vecs: np.ndarray, stats: _Stats, params: ClusterParams) -> _Stats:
    """Members far below their cluster's typical cosine to its centroid become noise.

    HDBSCAN judged them in the reduced space (or ``approximate_predict`` from a sample);
    this is the check in the space the photos are compared in everywhere else.
    """
    if params.outlier_z is None or stats.k == 0:
        return stats
    safe = np.maximum(stats.labels, 0)
    limit = stats.medians[safe] - params.outlier_z * stats.spreads[safe]
    stray = (stats.labels >= 0) & (stats.own < limit)
    if not stray.any():
        return stats
    return _stats(vecs, np.where(stray, NOISE, stats.labels), params)


def _hdbscan_labels(
    vecs: np.ndarray, params: ClusterParams, timings: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(labels, probabilities, sample rows, reduced vectors): PCA, HDBSCAN on at most
    ``max_fit_points`` rows, ``approximate_predict`` for the rest."""
    n, dim = vecs.shape
    clock = time.perf_counter()
    n_fit = min(n, params.max_fit_points)
    rng = np.random.default_rng(params.random_state)
    sample = np.sort(rng.choice(n, n_fit, replace=False)) if n_fit < n else np.arange(n)
    fit_params = params.scaled_to_sample(n, n_fit)

    reduced = vecs
    if params.reduce_to is not None and params.reduce_to < dim and n_fit > params.reduce_to:
        # randomized SVD: only the top components are needed, and it is several times faster
        pca = PCA(params.reduce_to, svd_solver="randomized", random_state=params.random_state)
        reduced = _apply(pca.fit(vecs[sample]), vecs, normalize=params.renormalize)
    timings["reduce"] = time.perf_counter() - clock

    labels = np.full(n, NOISE, dtype=np.int64)
    probabilities = np.zeros(n, dtype=np.float32)
    min_samples = fit_params.min_samples or fit_params.min_cluster_size
    if n_fit <= max(fit_params.min_cluster_size, min_samples):
        return labels, probabilities, sample, reduced  # too few photos to find any group
    clock = time.perf_counter()
    model = _hdbscan(reduced[sample], fit_params, predictable=n_fit < n)
    labels[sample] = model.labels_
    probabilities[sample] = model.probabilities_
    timings["hdbscan"] = time.perf_counter() - clock
    rest = np.setdiff1d(np.arange(n), sample, assume_unique=True)
    if len(rest):
        clock = time.perf_counter()
        model.prediction_data_.tree = _ExactNeighbours(model.prediction_data_.raw_data)
        for start in range(0, len(rest), PREDICT_CHUNK):
            rows = rest[start : start + PREDICT_CHUNK]
            pred, strength = hdbscan.approximate_predict(model, reduced[rows])
            labels[rows] = pred
            probabilities[rows] = strength
        timings["predict"] = time.perf_counter() - clock
    return labels, probabilities, sample, reduced


class _ExactNeighbours:
    """Drop-in for the KD-tree in hdbscan's prediction data, of which ``approximate_predict``
    only calls ``query(points, k)``.

    In 32 dimensions a KD-tree degenerates into a slow brute force that holds the GIL (95 % of
    the predict time, measured); FAISS's flat index is a brute force on BLAS threads: the
    same exact neighbours (Euclidean distances, nearest first), about five times faster.
    """

    def __init__(self, data: np.ndarray) -> None:
        self._index = faiss.IndexFlatL2(data.shape[1])
        self._index.add(np.ascontiguousarray(data, dtype=np.float32))

    def query(self, points: np.ndarray, k: int = 1, **_: object) -> tuple[np.ndarray, np.ndarray]:
        squared, rows = self._index.search(np.ascontiguousarray(points, dtype=np.float32), k)
        return np.sqrt(np.maximum(squared, 0.0)).astype(np.float64), rows.astype(np.int64)


def fit_clusters(
    ids: np.ndarray, vectors: np.ndarray, params: ClusterParams | None = None
) -> Clustering:
    """Cluster ``vectors`` (float32 [n, dim], unit rows, one per id) into categories.

    ``params`` defaults to ``ClusterParams.for_size(n)``. Deterministic for a given input
    order and ``params.random_state``.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or np.ndim(vectors) != 2 or len(ids) != len(vectors):
        raise ValueError("ids must be 1-D and vectors [len(ids), dim]")
    n, dim = np.shape(vectors)
    params = params or ClusterParams.for_size(n)
    vecs = _unit_rows(vectors)
    timings: dict[str, float] = {}
    raw, probabilities, sample, reduced = _hdbscan_labels(vecs, params, timings)

    clock = time.perf_counter()
    stats = _drop_strays(vecs, _stats(vecs, raw, params), params)
    labels, k, centroids = stats.labels.copy(), stats.k, stats.centroids
    probabilities[labels == NOISE] = 0.0
    floor = -1.0 if params.similarity_floor is None else params.similarity_floor
    suggest_at = np.maximum(stats.medians - params.suggest_z * stats.spreads, floor)
    join_at = np.maximum(stats.medians - params.join_z * stats.spreads, floor)
    if params.absorb and k:
        # what join_new would do with these photos after clustering, done now (centroids,
        # medians and thresholds stay those of the dense members)
        strays = np.flatnonzero(labels == NOISE)
        if len(strays):
            best, sims = nearest_centroids(vecs[strays], centroids)
            near = sims >= join_at[best]
            labels[strays[near]] = best[near]
    sizes = np.bincount(labels[labels >= 0], minlength=k).astype(np.int64)

    # the member nearest the centroid is the cosine medoid (see represent.medoid)
    medoid_rows = np.zeros(k, dtype=np.int64)
    if k:
        order = np.lexsort((-np.where(labels >= 0, stats.own, -np.inf), labels))
        medoid_rows = order[np.searchsorted(labels[order], np.arange(k))]

    suggestions = np.full(n, NOISE, dtype=np.int64)
    suggestion_sim = np.zeros(n, dtype=np.float32)
    noise = np.flatnonzero(labels == NOISE)
    if k and len(noise):
        best, sims = nearest_centroids(vecs[noise], centroids)
        ok = sims >= suggest_at[best]
        suggestions[noise[ok]] = best[ok]
        suggestion_sim[noise[ok]] = sims[ok]

    parents, parent_centroids, parent_sizes = group_leaves(centroids, sizes, params.parent_count)
    projection = np.zeros((n, 2), dtype=np.float32)
    if len(sample) >= 2 and reduced.shape[1] >= 2:
        # deterministic (full SVD, sign-fixed by sklearn) and cheap on <= 32 dimensions
        projection = _apply(PCA(2, svd_solver="full").fit(reduced[sample]), reduced, False)
    timings["post"] = time.perf_counter() - clock

    return Clustering(
        ids=ids,
        labels=labels,
        probabilities=probabilities,
        suggestions=suggestions,
        suggestion_similarity=suggestion_sim,
        projection=projection,
        centroids=np.concatenate([centroids, parent_centroids]),
        sizes=np.concatenate([sizes, parent_sizes]),
        medoid_ids=ids[medoid_rows],
        medoids=vecs[medoid_rows] if k else np.zeros((0, dim), dtype=np.float32),
        join_thresholds=join_at,
        parents=parents,
        n_leaves=k,
        fitted_on=len(sample),
        params=params,
        timings=timings,
    )

"""Auto-named categories: the pure core (arrays, ids and captions in; dataclasses out).

Pipeline: :func:`fit_clusters` (PCA -> HDBSCAN -> centroids, parents, suggestions, map),
:func:`name_clustering` (c-TF-IDF over captions + CLIP zero-shot labels), and between runs
:func:`match_clusters` (stable ids) and :func:`assign_new_points` (new photos join or wait
in Unsorted). Nothing here touches the store, the CLI or the API.
"""

from picsift.cluster.ctfidf import Term, best_phrase, class_tfidf
from picsift.cluster.fit import fit_clusters
from picsift.cluster.hierarchy import group_leaves
from picsift.cluster.naming import (
    CategoryName,
    NamingWeights,
    make_unique,
    name_categories,
    name_clustering,
)
from picsift.cluster.params import ClusterParams
from picsift.cluster.represent import centroid, medoid, nearest_centroids, representatives
from picsift.cluster.result import NOISE, Clustering
from picsift.cluster.stability import Matching, assign_new_points, match_clusters

__all__ = [
    "NOISE",
    "CategoryName",
    "ClusterParams",
    "Clustering",
    "Matching",
    "NamingWeights",
    "Term",
    "assign_new_points",
    "best_phrase",
    "centroid",
    "class_tfidf",
    "fit_clusters",
    "group_leaves",
    "make_unique",
    "match_clusters",
    "medoid",
    "name_categories",
    "name_clustering",
    "nearest_centroids",
    "representatives",
]

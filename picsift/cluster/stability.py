"""Keep category ids stable across re-clustering, and place newly indexed photos.

A re-run of HDBSCAN numbers its clusters afresh; people have named, renamed and bookmarked
categories by id, so a category that is still "the same photos" must keep its id. Sameness
is judged on member ids, not on centroids: members are what a person saw.

Rules for ``match_clusters`` (``m`` = ``min_overlap``; for old O and new N,
``from_old = |O & N| / |O|`` and ``from_new = |O & N| / |N|``):

- O and N are *linked* when ``from_old >= m`` (O mostly went to N) or ``from_new >= m``
  (N is mostly made of O).
- Ids are inherited along links, greedily by decreasing ``|O & N|`` (ties: lower old id,
  then lower new label), each old id going to at most one new cluster and each new cluster
  taking at most one id. So in a split the largest piece keeps the id, and in a merge the
  new cluster keeps the id of its largest contributor.
- *split*: an old O with two or more new clusters mostly made of it (``from_new >= m``).
- *merged*: a new N into which two or more old clusters mostly went (``from_old >= m``).
- *born*: a new cluster with a fresh id that is not a piece of a split.
- *died*: an old id not inherited and not part of a merge (its photos went to Unsorted, were
  deleted, or scattered).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from picsift.cluster.represent import nearest_centroids


@dataclass(frozen=True)
class Matching:
    """``ids``: every new label -> its persistent id (inherited or fresh, from ``next_id``)."""

    ids: dict[int, int]
    kept: dict[int, int] = field(default_factory=dict)  # new label -> old id it continues
    born: list[int] = field(default_factory=list)  # new labels
    died: list[int] = field(default_factory=list)  # old ids
    merged: dict[int, list[int]] = field(default_factory=dict)  # new label -> old ids
    split: dict[int, list[int]] = field(default_factory=dict)  # old id -> new labels
    jaccard: dict[int, float] = field(default_factory=dict)  # new label -> with its old id


def match_clusters(
    old: Mapping[int, set[int]],
    new: Mapping[int, set[int]],
    min_overlap: float = 0.5,
    next_id: int | None = None,
) -> Matching:
    """Map new cluster labels onto old category ids by member overlap (rules above).

    ``old``: category id -> member ids of the previous run; ``new``: cluster label -> member
    ids now. Fresh ids count up from ``next_id`` (default: one above the largest old id; pass
    the store's counter so an id that died is never handed out again).
    """
    if not 0.0 < min_overlap <= 1.0:
        raise ValueError("min_overlap must be within (0, 1]")
    owner: dict[int, int] = {}
    for old_id, members in old.items():
        for member in members:
            owner[member] = old_id
    inter: dict[tuple[int, int], int] = {}
    for label, members in new.items():
        counts = Counter(owner[m] for m in members if m in owner)
        for old_id, count in counts.items():
            inter[(old_id, label)] = count

    def from_old(o: int, n: int) -> float:
        return inter[(o, n)] / max(len(old[o]), 1)

    def from_new(o: int, n: int) -> float:
        return inter[(o, n)] / max(len(new[n]), 1)

    links = [
        (o, n) for (o, n) in inter if from_old(o, n) >= min_overlap or from_new(o, n) >= min_overlap
    ]
    links.sort(key=lambda pair: (-inter[pair], pair[0], pair[1]))
    kept: dict[int, int] = {}
    given: set[int] = set()
    for o, n in links:
        if o not in given and n not in kept:
            kept[n] = o
            given.add(o)

    split: dict[int, list[int]] = {}
    merged: dict[int, list[int]] = {}
    for o, n in sorted(inter):
        if from_new(o, n) >= min_overlap:
            split.setdefault(o, []).append(n)
        if from_old(o, n) >= min_overlap:
            merged.setdefault(n, []).append(o)
    split = {
        o: sorted(ns, key=lambda n: (-inter[(o, n)], n)) for o, ns in split.items() if len(ns) > 1
    }
    merged = {
        n: sorted(os, key=lambda o: (-inter[(o, n)], o)) for n, os in merged.items() if len(os) > 1
    }

    fresh = (max(old, default=-1) + 1) if next_id is None else next_id
    ids: dict[int, int] = {}
    for label in sorted(new):
        if label in kept:
            ids[label] = kept[label]
        else:
            ids[label] = fresh
            fresh += 1
    pieces = {n for ns in split.values() for n in ns}
    in_merge = {o for os in merged.values() for o in os}
    jaccard = {}
    for n, o in kept.items():
        common = inter[(o, n)]
        jaccard[n] = common / max(len(old[o]) + len(new[n]) - common, 1)
    return Matching(
        ids=ids,
        kept=dict(sorted(kept.items())),
        born=sorted(n for n in new if n not in kept and n not in pieces),
        died=sorted(o for o in old if o not in given and o not in in_merge),
        merged=merged,
        split=split,
        jaccard=dict(sorted(jaccard.items())),
    )


def assign_new_points(
    vectors: np.ndarray,
    centroids: np.ndarray,
    threshold: float | np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """The category each new photo joins: its nearest centroid when the cosine reaches
    ``threshold`` (one value, or one per centroid such as ``Clustering.join_thresholds``),
    else -1 ("Unsorted"). ``labels`` names the centroid rows (default: row numbers).

    Between two full re-clusterings this keeps new photos sorted without refitting; the
    rule is the one a member of the category already satisfies, so a category does not
    drift towards photos it would not have contained.
    """
    vecs = np.asarray(vectors, dtype=np.float32)
    if vecs.ndim != 2:
        raise ValueError("vectors must be a 2-D array")
    cents = np.asarray(centroids, dtype=np.float32).reshape(-1, vecs.shape[1])
    names = np.arange(len(cents)) if labels is None else np.asarray(labels, dtype=np.int64)
    if len(names) != len(cents):
        raise ValueError("labels must name every centroid row")
    best, sims = nearest_centroids(vecs, cents)
    out = np.full(len(vecs), -1, dtype=np.int64)
    if len(cents) == 0:
        return out
    limits = np.broadcast_to(np.asarray(threshold, dtype=np.float32), (len(cents),))
    ok = sims >= limits[best]
    out[ok] = names[best[ok]]
    return out

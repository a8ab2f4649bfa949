"""Categories for a library: cluster, name, keep ids stable, persist; join new photos.

The modules beside this one are pure (arrays in, dataclasses out); this one connects them to
the store and the models. Spaces: ``images`` clusters the CLIP image embeddings (default);
``captions`` clusters the sentence embeddings of the captions (people's caption where there
is one, else the model's).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from picsift.cluster.fit import fit_clusters
from picsift.cluster.naming import CategoryName, name_clustering
from picsift.cluster.params import ClusterParams
from picsift.cluster.result import NOISE, Clustering
from picsift.cluster.stability import assign_new_points, match_clusters
from picsift.config import Settings
from picsift.errors import PicsiftError, StoreLockedError
from picsift.models.provider import ModelSource
from picsift.models.zeroshot import LabelBank, LabelBanks, load_vocabulary
from picsift.resources import data_dir
from picsift.store import CAPTION_SPACE, IMAGE_SPACE, USER_CAPTION_SPACE
from picsift.store.ports import LibraryStore
from picsift.store.records import CategoryRecord, Membership

Space = Literal["images", "captions"]
MIN_IMAGES = 10
REPRESENTATIVES = 8


@dataclass
class ClusterReport:
    space: str
    images: int
    categories: int
    parents: int
    unsorted: int
    kept: int = 0
    born: list[int] = field(default_factory=list)
    died: list[int] = field(default_factory=list)
    merged: dict[int, list[int]] = field(default_factory=dict)
    split: dict[int, list[int]] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        return 1.0 - self.unsorted / self.images if self.images else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"coverage": round(self.coverage, 4)}


class CategoryService:
    def __init__(self, store: LibraryStore, models: ModelSource, settings: Settings) -> None:
        self._store = store
        self._models = models
        self._settings = settings
        self._banks = LabelBanks(settings.home / "cache")
        self.categories = store.categories

    # -- inputs -----------------------------------------------------------------------------
    def _vectors(self, space: Space) -> tuple[np.ndarray, np.ndarray]:
        catalog = self._store.images
        if space == "images":
            return catalog.embeddings(IMAGE_SPACE)
        ids, vecs = catalog.embeddings(CAPTION_SPACE)
        user_ids, user_vecs = catalog.embeddings(USER_CAPTION_SPACE)
        merged = dict(zip(ids.tolist(), vecs, strict=True))
        merged.update(zip(user_ids.tolist(), user_vecs, strict=True))  # people's caption wins
        if not merged:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        order = sorted(merged)
        return np.asarray(order, np.int64), np.stack([merged[i] for i in order])

    def _captions(self, ids: np.ndarray) -> dict[int, str]:
        """Text that names categories: people's captions first, then the model's caption
        and the image's tags; a meaningless model's output never names anything."""
        wanted = [int(i) for i in ids]
        rows = self._store.images.rows(wanted)
        trust_model = not self._models.preset.meaningless
        tags = self._store.images.tag_labels(wanted) if trust_model else {}
        out = {}
        for image_id, row in rows.items():
            parts = [row.user_caption or (row.caption if trust_model else None)]
            if image_id in tags:  # one phrase each, so c-TF-IDF never joins two tags
                parts.append(". ".join(tags[image_id]))
            text = ". ".join(p for p in parts if p)
            if text:
                out[image_id] = text
        return out

    def _label_bank(self, space: Space) -> LabelBank | None:
        """Vocabulary labels in the clustered space; none from a random-weight model."""
        if space == "images":
            if self._models.preset.meaningless:
                return None
            embedder: Any = self._models.embedder()
            templates: tuple[str, ...] | None = None
        else:
            embedder = self._models.text_embedder()
            templates = ("{}",)
        labels = load_vocabulary(data_dir() / "vocabularies" / "general.txt")
        if templates is None:
            return self._banks.get(embedder, labels)
        return self._banks.get(embedder, labels, templates)

    # -- clustering ---------------------------------------------------------------------------
    def cluster(self, space: Space = "images", **overrides: Any) -> ClusterReport:
        started = time.perf_counter()
        ids, vectors = self._vectors(space)
        if len(ids) < MIN_IMAGES:
            raise PicsiftError(
                f"clustering needs at least {MIN_IMAGES} indexed images with {space} vectors; "
                f"the store has {len(ids)}"
            )
        try:
            params = ClusterParams.for_size(len(ids), **overrides)
        except (TypeError, ValueError) as exc:
            raise PicsiftError(f"invalid clustering parameters: {exc}") from None
        with self._store.writer_lock():
            clustering = fit_clusters(ids, vectors, params)
            names = name_clustering(clustering, self._captions(ids), self._label_bank(space))
            report = self._persist(clustering, names, space, params)
        report.seconds = round(time.perf_counter() - started, 3)
        report.timings = dict(clustering.timings)
        return report

    def _persist(
        self, c: Clustering, names: dict[int, CategoryName], space: Space, params: ClusterParams
    ) -> ClusterReport:
        store = self.categories
        leaves = c.member_sets()
        leaf_match = match_clusters(store.leaf_members(), leaves, next_id=store.next_id())
        leaf_ids = leaf_match.ids
        parent_sets = {p: set(c.members(p).tolist()) for p in c.parent_labels}
        next_parent = max([store.next_id(), *(i + 1 for i in leaf_ids.values())])
        parent_ids = match_clusters(store.parent_members(), parent_sets, next_id=next_parent).ids
        label_to_id = leaf_ids | parent_ids
        records = []
        for label in range(len(c.centroids)):
            members = c.members(label)
            is_parent = label >= c.n_leaves
            name = names[label]
            reps = self._representatives(c, members, label)
            records.append(
                CategoryRecord(
                    id=label_to_id[label],
                    space=space,
                    name=name.name,
                    keywords=list(name.keywords),
                    confidence=round(float(name.confidence), 4),
                    size=len(members),
                    is_parent=is_parent,
                    parent_id=None
                    if is_parent or label not in c.parents
                    else label_to_id[c.parents[label]],
                    centroid=c.centroids[label],
                    join_threshold=None if is_parent else float(c.join_thresholds[label]),
                    representatives=reps,
                )
            )
        memberships = [
            Membership(
                image_id=int(image_id),
                category_id=None if label == NOISE else label_to_id[int(label)],
                probability=float(prob),
                suggested_id=label_to_id.get(int(sugg)) if sugg >= 0 else None,
                suggested_similarity=float(sim) if sugg >= 0 else None,
                x=float(xy[0]),
                y=float(xy[1]),
            )
            for image_id, label, prob, sugg, sim, xy in zip(
                c.ids,
                c.labels,
                c.probabilities,
                c.suggestions,
                c.suggestion_similarity,
                c.projection,
                strict=True,
            )
        ]
        report = ClusterReport(
            space=space,
            images=len(c.ids),
            categories=c.n_leaves,
            parents=c.n_parents,
            unsorted=int(np.sum(c.labels == NOISE)),
            kept=len(leaf_match.kept),
            born=[leaf_ids[label] for label in leaf_match.born],
            died=list(leaf_match.died),
            merged={leaf_ids[k]: v for k, v in leaf_match.merged.items()},
            split={k: [leaf_ids[n] for n in v] for k, v in leaf_match.split.items()},
        )
        store.replace_all(records, memberships, asdict(params), report.to_dict())
        return report

    def _representatives(self, c: Clustering, members: np.ndarray, label: int) -> list[int]:
        """Members near the centroid but not near-copies of each other (maximal marginal
        relevance), for cover mosaics and as the caption sample behind the name."""
        from picsift.cluster.represent import representatives

        if len(members) == 0:
            return []
        index = self._store.vectors(IMAGE_SPACE)
        try:
            vecs = index.vectors(members[:2000]) if index.count else None
        except RuntimeError:
            vecs = None
        if vecs is None or len(vecs) == 0:
            return [int(i) for i in members[:REPRESENTATIVES]]
        picked = representatives(vecs, REPRESENTATIVES)
        return [int(members[i]) for i in picked]

    # -- between clusterings ------------------------------------------------------------------
    def join_new(self) -> int:
        """Newly indexed images join their nearest category when close enough, else Unsorted.
        Returns how many images were placed (joined or Unsorted)."""
        last = self.categories.last_run()
        if last is None:
            return 0
        space: Space = "captions" if last["space"] == "captions" else "images"
        waiting = set(self.categories.unassigned())
        if not waiting:
            return 0
        ids, vectors = self._vectors(space)
        keep = np.isin(ids, list(waiting))
        ids, vectors = ids[keep], vectors[keep]
        cat_ids, centroids, thresholds = self.categories.leaf_centroids()
        if len(ids) == 0 or len(cat_ids) == 0:
            return 0
        if centroids.shape[1] != vectors.shape[1]:
            return 0  # categories were made in another space or model: re-cluster instead
        joined = assign_new_points(vectors, centroids, thresholds, labels=cat_ids)
        placed = [
            Membership(int(i), None if j < 0 else int(j), assigned_by="join")
            for i, j in zip(ids, joined, strict=True)
        ]
        try:
            with self._store.writer_lock():
                self.categories.add_members(placed)
        except StoreLockedError:
            return 0  # a clustering (or another writer) runs: the next join places them
        return len(ids)

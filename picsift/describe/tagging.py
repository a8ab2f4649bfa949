"""The tags facet: CLIP zero-shot labels from every active vocabulary.

Tags are scored against the image's CLIP embedding, the same vector search uses, so tagging an
indexed image needs no image and no image model: retagging a whole library after a
vocabulary changes is a matrix product (plus, once per vocabulary, its prompts through the
text tower).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from picsift.describe.model import Tag
from picsift.describe.vocabularies import Vocabulary
from picsift.models.base import ImageTextEmbedder
from picsift.models.zeroshot import LabelBank, LabelBanks

MAX_TAGS = 10


def select_tags(bank: LabelBank, vocabulary: Vocabulary, vectors: np.ndarray) -> list[list[Tag]]:
    """Per image: labels at or above the threshold and within ``margin`` of the file's best,
    best first, at most ``top``. Pure: arrays in, tags out."""
    if len(vectors) == 0 or vocabulary.top == 0:
        return [[] for _ in range(len(vectors))]
    scores = np.asarray(vectors, dtype=np.float32) @ bank.matrix.T
    out: list[list[Tag]] = []
    for row in scores:
        order = np.argsort(-row, kind="stable")[: vocabulary.top]
        floor = max(vocabulary.threshold, float(row[order[0]]) - vocabulary.margin)
        out.append(
            [
                Tag(label=bank.labels[i], vocabulary=vocabulary.name, score=round(float(row[i]), 4))
                for i in order
                if row[i] >= floor
            ]
        )
    return out


def merge_tags(per_vocabulary: Sequence[list[Tag]], limit: int = MAX_TAGS) -> list[Tag]:
    """One list across vocabularies: a label once (its best score), best first."""
    best: dict[str, Tag] = {}
    for tags in per_vocabulary:
        for tag in tags:
            if tag.label not in best or tag.score > best[tag.label].score:
                best[tag.label] = tag
    return sorted(best.values(), key=lambda t: (-t.score, t.label))[:limit]


class Tagger:
    """Tags images from their CLIP vectors; owns the vocabularies' label banks.

    Vocabularies that share prompts are embedded as one bank of their unique labels (the
    domain files overlap with the general one), then each file reads its rows from it.
    """

    def __init__(
        self,
        embedder: ImageTextEmbedder,
        vocabularies: Sequence[Vocabulary],
        banks: LabelBanks,
        limit: int = MAX_TAGS,
    ) -> None:
        self._embedder = embedder
        self._vocabularies = list(vocabularies)
        self._banks = banks
        self._limit = limit
        self._views: list[tuple[Vocabulary, LabelBank]] | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._embedder.model_id

    @property
    def vocabularies(self) -> list[str]:
        return [v.name for v in self._vocabularies]

    @property
    def prompts(self) -> int:
        """Text-tower passes a cold start costs (unique labels x prompts, per prompt set)."""
        groups: dict[tuple[str, ...], set[str]] = {}
        for v in self._vocabularies:
            groups.setdefault(v.templates, set()).update(v.labels)
        return sum(len(labels) * len(t) for t, labels in groups.items())

    def warm(self) -> None:
        """Embed (or load from the cache) every vocabulary now rather than on first use."""
        self._bank_views()

    def _bank_views(self) -> list[tuple[Vocabulary, LabelBank]]:
        with self._lock:
            if self._views is None:
                groups: dict[tuple[str, ...], dict[str, None]] = {}
                for v in self._vocabularies:
                    groups.setdefault(v.templates, {}).update(dict.fromkeys(v.labels))
                shared = {
                    templates: self._banks.get(self._embedder, sorted(labels), templates)
                    for templates, labels in groups.items()
                }
                views = []
                for v in self._vocabularies:
                    bank = shared[v.templates]
                    row = {label: i for i, label in enumerate(bank.labels)}
                    rows = [row[label] for label in v.labels]
                    views.append((v, LabelBank(bank.model_id, v.labels, bank.matrix[rows])))
                self._views = views
            return self._views

    def tag_vectors(self, vectors: np.ndarray) -> list[list[Tag]]:
        """Tags for image vectors made by this tagger's embedder (unit length)."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
        if vectors.shape[1] != self._embedder.dim and len(vectors):
            raise ValueError(
                f"tags need {self._embedder.dim}-d vectors of {self.model_id}, "
                f"got {vectors.shape[1]}-d"
            )
        per_image: list[list[list[Tag]]] = [[] for _ in range(len(vectors))]
        for vocabulary, bank in self._bank_views():
            for i, tags in enumerate(select_tags(bank, vocabulary, vectors)):
                per_image[i].append(tags)
        return [merge_tags(lists, self._limit) for lists in per_image]

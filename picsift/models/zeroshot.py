"""CLIP zero-shot labels for categories: a vocabulary embedded once, scored by cosine.

Each label is embedded through several prompt templates and the normalised text vectors are
averaged (prompt ensembling, as in the CLIP paper): one template's wording biases the text
vector, the average is a steadier description of the concept.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from picsift.models.base import ImageTextEmbedder, TextEmbedder, l2_normalize

DEFAULT_TEMPLATES: tuple[str, ...] = (
    "a photo of a {}.",
    "a picture of {}.",
    "a close-up photo of a {}.",
    "a photo of the {}.",
    "a good photo of a {}.",
    "a photo of many {}.",
)
# CLIP's learned temperature: softmax(100 * cosine) is how CLIP itself turns cosines into
# zero-shot probabilities, so margins between labels are read on its own scale.
CLIP_LOGIT_SCALE = 100.0


@dataclass(frozen=True)
class LabelBank:
    """A vocabulary in one model's text space: ``matrix[i]`` is the unit vector of ``labels[i]``."""

    model_id: str
    labels: tuple[str, ...]
    matrix: np.ndarray


@dataclass(frozen=True)
class LabelScores:
    """Best labels for one category (best first) with cosines and zero-shot probabilities.

    ``probabilities`` = softmax(logit_scale * cosine) over the whole vocabulary;
    ``confidence`` = p1 - p2: near 1 when one label clearly wins, near 0 when the top two are
    tied (an ambiguous category).
    """

    labels: list[str]
    cosines: list[float]
    probabilities: list[float]
    confidence: float


def load_vocabulary(path: str | Path) -> list[str]:
    """One label per line; ``#`` starts a comment; blank lines and repeats are dropped.

    Labels are lowercased and whitespace-collapsed so "Hot  Dog" and "hot dog" are one label.
    """
    seen: dict[str, None] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        label = " ".join(raw.split("#", 1)[0].split()).lower()
        if label:
            seen.setdefault(label, None)
    return list(seen)


def embed_labels(
    embedder: ImageTextEmbedder | TextEmbedder,
    labels: Sequence[str],
    templates: Sequence[str] = DEFAULT_TEMPLATES,
    batch_size: int = 512,
) -> LabelBank:
    """Prompt-ensembled label vectors: every label through every template, averaged.

    Uncached: :class:`LabelBanks` keeps the results, since the general vocabulary (2,736
    labels x 6 templates) takes CLIP ViT-B/32's text tower about 1.5 minutes on two cores.
    """
    labels = tuple(labels)
    templates = tuple(templates) or ("{}",)
    total = np.zeros((len(labels), embedder.dim), dtype=np.float32)
    # similar lengths batched together: an encoder that trims padding to the longest prompt
    # of a batch (picsift's open_clip wrapper does) then does less work
    order = sorted(range(len(labels)), key=lambda i: (len(labels[i]), i))
    for template in templates:
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            block = embedder.embed_texts([template.format(labels[i]) for i in rows])
            total[rows] += l2_normalize(block)
    return LabelBank(embedder.model_id, labels, l2_normalize(total))


class LabelBanks:
    """Label banks per (model, vocabulary, templates): the last few in memory, all on disk.

    Owned by whoever embeds vocabularies (the category service, the tagger), so a process that
    re-clusters or tags often pays for a vocabulary once, and a new process reads the ``.npy``
    written by the last one instead of minutes of text encoding.
    """

    def __init__(self, cache_dir: Path | None = None, keep: int = 4) -> None:
        self._dir = cache_dir
        self._keep = keep
        self._memory: OrderedDict[str, LabelBank] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(model_id: str, labels: Sequence[str], templates: Sequence[str]) -> str:
        joined = "\x1f".join([model_id, *labels, "\x1e", *templates])
        return hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]

    def get(
        self,
        embedder: ImageTextEmbedder | TextEmbedder,
        labels: Sequence[str],
        templates: Sequence[str] = DEFAULT_TEMPLATES,
    ) -> LabelBank:
        labels, templates = tuple(labels), tuple(templates) or ("{}",)
        key = self.key(embedder.model_id, labels, templates)
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        bank = self._load(key, embedder, labels) or embed_labels(embedder, labels, templates)
        self._save(key, bank)
        with self._lock:
            self._memory[key] = bank
            while len(self._memory) > self._keep:
                self._memory.popitem(last=False)
        return bank

    def _path(self, key: str) -> Path | None:
        return None if self._dir is None else self._dir / f"labels-{key}.npy"

    def _load(
        self, key: str, embedder: ImageTextEmbedder | TextEmbedder, labels: tuple[str, ...]
    ) -> LabelBank | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            matrix = np.load(path)
        except (OSError, ValueError):
            return None  # a torn or foreign file: embed again and overwrite it
        if matrix.shape != (len(labels), embedder.dim):
            return None
        return LabelBank(embedder.model_id, labels, matrix.astype(np.float32, copy=False))

    def _save(self, key: str, bank: LabelBank) -> None:
        path = self._path(key)
        if path is None or path.is_file():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, bank.matrix)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs speed


def score_labels(
    bank: LabelBank,
    centroids: np.ndarray,
    medoids: np.ndarray | None = None,
    top_n: int = 5,
    logit_scale: float = CLIP_LOGIT_SCALE,
) -> list[LabelScores]:
    """Rank the vocabulary for each category by cosine to its centroid (and medoid).

    With ``medoids`` the score is the mean of both cosines: the centroid is the category's
    average look, the medoid a real photo of it; a label must suit both, which guards against
    a centroid that sits between two kinds of photo.
    """
    if len(centroids) and np.shape(centroids)[-1] != bank.matrix.shape[1]:
        raise ValueError(
            f"labels of {bank.model_id} are {bank.matrix.shape[1]}-d but the categories are "
            f"{np.shape(centroids)[-1]}-d: embed the vocabulary with the model that made them"
        )
    if len(bank.labels) == 0 or len(centroids) == 0:
        return [LabelScores([], [], [], 0.0) for _ in range(len(centroids))]
    scores = np.asarray(centroids, dtype=np.float32) @ bank.matrix.T
    if medoids is not None:
        scores = 0.5 * (scores + np.asarray(medoids, dtype=np.float32) @ bank.matrix.T)
    out = []
    for row in scores:
        top = np.argsort(-row, kind="stable")[: max(top_n, 2)]
        logits = logit_scale * (row - row[top[0]])
        probs = np.exp(logits)
        probs /= probs.sum()
        second = float(probs[top[1]]) if len(top) > 1 else 0.0
        out.append(
            LabelScores(
                labels=[bank.labels[i] for i in top[:top_n]],
                cosines=[float(row[i]) for i in top[:top_n]],
                probabilities=[float(probs[i]) for i in top[:top_n]],
                confidence=float(probs[top[0]]) - second,
            )
        )
    return out

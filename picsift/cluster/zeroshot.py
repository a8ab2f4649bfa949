"""CLIP zero-shot labels for categories: a vocabulary embedded once, scored by cosine.

Each label is embedded through several prompt templates and the normalised text vectors are
averaged (prompt ensembling, as in the CLIP paper): one template's wording biases the text
vector, the average is a steadier description of the concept.
"""

from __future__ import annotations

import hashlib
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
_CACHE_SIZE = 4
_cache: OrderedDict[tuple[str, str], LabelBank] = OrderedDict()
_lock = threading.Lock()


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


def _key(model_id: str, labels: Sequence[str], templates: Sequence[str]) -> tuple[str, str]:
    digest = hashlib.sha1(
        "\x1f".join([*labels, "\x1e", *templates]).encode("utf-8"), usedforsecurity=False
    )
    return model_id, digest.hexdigest()


def embed_labels(
    embedder: ImageTextEmbedder | TextEmbedder,
    labels: Sequence[str],
    templates: Sequence[str] = DEFAULT_TEMPLATES,
    batch_size: int = 512,
) -> LabelBank:
    """Prompt-ensembled label vectors, cached in memory per (model id, vocabulary, templates).

    The general vocabulary (2,736 labels x 6 templates) takes CLIP ViT-B/32's text tower about
    1.5 minutes on two CPU cores, and re-clustering happens often, so the last few banks are
    kept (``LabelBank`` is a plain value: a caller may also persist it).
    """
    labels = tuple(labels)
    templates = tuple(templates) or ("{}",)
    key = _key(embedder.model_id, labels, templates)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    total = np.zeros((len(labels), embedder.dim), dtype=np.float32)
    # similar lengths batched together: an encoder that trims padding to the longest prompt
    # of a batch (picsift's open_clip wrapper does) then does less work
    order = sorted(range(len(labels)), key=lambda i: (len(labels[i]), i))
    for template in templates:
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            block = embedder.embed_texts([template.format(labels[i]) for i in rows])
            total[rows] += l2_normalize(block)
    bank = LabelBank(embedder.model_id, labels, l2_normalize(total))
    with _lock:
        _cache[key] = bank
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return bank


def clear_label_cache() -> None:
    with _lock:
        _cache.clear()


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

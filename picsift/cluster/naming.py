"""Names for categories from two sources: what the captions say and what CLIP sees.

- Captions: c-TF-IDF terms (:mod:`picsift.cluster.ctfidf`), distinctive words people or the
  caption model used for these photos. Confidence = ``share * coverage`` of the chosen term:
  how exclusively this category uses it times how many of its captions say it.
- CLIP: zero-shot labels from a vocabulary (:mod:`picsift.models.zeroshot`). Confidence =
  the softmax margin between the best and second-best label.

Combination (weights let a caller mute a source, e.g. ``clip=0`` for a random-weight model):

1. Agreement: the first of CLIP's top labels whose head word (its last word, English noun
   phrases end in their noun) is among the words of the top caption terms names the
   category: a clean vocabulary phrase confirmed by the captions. Confidence is the
   noisy-OR of both weighted confidences, ``1 - (1 - wc*cc) * (1 - wt*ct)``, where ``cc``
   is that label's margin over the best other label (0 unless it is CLIP's first choice)
   and ``ct`` the confidence of the best caption term containing the head word.
2. Otherwise the source with the higher weighted confidence names it (captions on a tie:
   they describe this very library); confidence is that weighted score, clipped to [0, 1].

Names are then made unique (:func:`make_unique`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from picsift.cluster.ctfidf import STOP_WORDS, Term, best_phrase, class_tfidf
from picsift.cluster.result import Clustering
from picsift.models.zeroshot import LabelBank, LabelScores, load_vocabulary, score_labels

__all__ = [
    "CategoryName",
    "NamingWeights",
    "load_vocabulary",
    "make_unique",
    "name_categories",
    "name_clustering",
]

AGREE_TOP_LABELS = 5
MAX_KEYWORDS = 10


@dataclass(frozen=True)
class CategoryName:
    name: str
    keywords: list[str]
    confidence: float
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NamingWeights:
    """How much each source's confidence counts (0 mutes it; 1 takes it at face value)."""

    clip: float = 1.0
    captions: float = 1.0


def fold(word: str) -> str:
    """Crude singular so "sneakers" matches "sneaker" and "dresses" matches "dress"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_words(text: str) -> list[str]:
    return [fold(w) for w in re.findall(r"[a-z]+", text.lower()) if w not in STOP_WORDS]


def _caption_confidence(term: Term) -> float:
    return term.share * term.coverage


def _choose(
    terms: list[Term], clip: LabelScores | None, weights: NamingWeights
) -> tuple[str, float, list[str]]:
    """(name, confidence, sources) for one category, by the rules in the module docstring."""
    wc, wt = max(weights.clip, 0.0), max(weights.captions, 0.0)
    clip_conf = wc * clip.confidence if clip and clip.labels else 0.0
    phrase = best_phrase(terms) if wt > 0 else None
    text_conf = wt * _caption_confidence(phrase) if phrase else 0.0
    if clip and clip.labels and wc > 0 and terms and wt > 0:
        caption_words: dict[str, Term] = {}
        for term in terms:  # best first: a word's support is its best-ranked term's
            for word in content_words(term.text):
                caption_words.setdefault(word, term)
        for rank, label in enumerate(clip.labels[:AGREE_TOP_LABELS]):
            words = content_words(label)
            if words and words[-1] in caption_words:
                # CLIP's own vote for this label: its margin over the best other label,
                # which is the category's margin for the top label and 0 for the others
                # (so a lower-ranked label rests on the captions' support alone)
                seen = clip.probabilities
                margin = seen[rank] - max(p for i, p in enumerate(seen) if i != rank)
                vote = min(wc * max(margin, 0.0), 1.0) if len(seen) > 1 else clip_conf
                support = min(wt * _caption_confidence(caption_words[words[-1]]), 1.0)
                confidence = 1.0 - (1.0 - vote) * (1.0 - support)
                return label, confidence, ["clip", "captions"]
    if phrase and (text_conf >= clip_conf or not (clip and clip.labels and wc > 0)):
        return phrase.text, min(text_conf, 1.0), ["captions"]
    if clip and clip.labels and wc > 0:
        return clip.labels[0], min(clip_conf, 1.0), ["clip"]
    return "", 0.0, []


def _qualifiers(
    group: Sequence[int], docs: Mapping[int, Sequence[str]], fallback: Mapping[int, list[str]]
) -> dict[int, list[str]]:
    """Words that tell the members of a same-name group apart, most distinctive first.

    c-TF-IDF restricted to the group, ranked by share x coverage (a word all of them use is
    no help), then each category's own keywords as a fallback.
    """
    local = class_tfidf({label: docs.get(label, ()) for label in group}, top_n=15)
    out = {}
    for label in group:
        ranked = sorted(local.get(label, []), key=lambda t: -_caption_confidence(t))
        out[label] = [t.text for t in ranked] + list(fallback.get(label, []))
    return out


def make_unique(
    names: Mapping[int, CategoryName],
    docs: Mapping[int, Sequence[str]] | None = None,
    taken: Iterable[str] = (),
) -> dict[int, CategoryName]:
    """Unique names: duplicates (and names in ``taken``) get their most distinctive keyword
    not already in the name, ``"sneakers (white)"``; ``"sneakers 2"`` is the last resort.
    Every member of a duplicate group is qualified, so no one of them looks like the generic
    case. Deterministic: higher confidence (then lower label) chooses first.
    """
    taken_set = {t.lower() for t in taken}
    groups: dict[str, list[int]] = defaultdict(list)
    for label in sorted(names):
        groups[names[label].name].append(label)
    out = dict(names)
    for name, group in groups.items():
        if len(group) == 1 and name not in taken_set:
            continue
        group.sort(key=lambda lab: (-names[lab].confidence, lab))
        fallback = {lab: names[lab].keywords for lab in group}
        options = _qualifiers(group, docs or {}, fallback)
        name_words = set(content_words(name))
        used: set[str] = set()
        for label in group:
            for word in options[label]:
                if word in used or set(content_words(word)) <= name_words:
                    continue
                used.add(word)
                out[label] = replace(names[label], name=f"{name} ({word})")
                break
    final: dict[int, CategoryName] = {}
    seen = set(taken_set)
    for label in sorted(out, key=lambda lab: (-out[lab].confidence, lab)):
        base = candidate = out[label].name
        number = 2
        while candidate in seen:
            candidate = f"{base} {number}"
            number += 1
        seen.add(candidate)
        final[label] = replace(out[label], name=candidate)
    return {label: final[label] for label in sorted(final)}


def name_categories(
    docs: Mapping[int, Sequence[str]],
    centroids: Mapping[int, np.ndarray] | None = None,
    bank: LabelBank | None = None,
    medoids: Mapping[int, np.ndarray] | None = None,
    weights: NamingWeights | None = None,
    taken: Iterable[str] = (),
    unique: bool = True,
) -> dict[int, CategoryName]:
    """Name each category: ``docs`` are its members' captions, ``centroids`` its unit centroid
    in ``bank``'s model space (both optional; categories are the union of their keys).

    c-TF-IDF is computed across the categories given, so pass siblings together: terms are
    distinctive against exactly those. With ``unique`` names go through :func:`make_unique`,
    avoiding ``taken`` (e.g. the names of another level).
    """
    weights = weights or NamingWeights()
    labels = sorted(set(docs) | set(centroids or {}))
    terms = class_tfidf({label: docs.get(label, ()) for label in labels})
    clip: dict[int, LabelScores] = {}
    if bank is not None and centroids:
        with_c = [label for label in labels if label in centroids]
        cents = np.stack([centroids[label] for label in with_c])
        meds = None
        if medoids:
            meds = np.stack([medoids.get(label, centroids[label]) for label in with_c])
        clip = dict(zip(with_c, score_labels(bank, cents, meds), strict=True))
    named: dict[int, CategoryName] = {}
    for label in labels:
        scores = clip.get(label)
        name, confidence, sources = _choose(terms.get(label, []), scores, weights)
        keywords = [t.text for t in terms.get(label, [])]
        for extra in scores.labels[:3] if scores else []:
            if extra not in keywords:
                keywords.append(extra)
        named[label] = CategoryName(
            name=name or f"category {label}",
            keywords=keywords[:MAX_KEYWORDS],
            confidence=round(float(confidence), 4),
            sources=sources,
        )
    return make_unique(named, docs, taken) if unique else named


def name_clustering(
    clustering: Clustering,
    captions: Mapping[int, str],
    bank: LabelBank | None = None,
    weights: NamingWeights | None = None,
) -> dict[int, CategoryName]:
    """Names for every leaf and parent of ``clustering``, unique across both levels.

    ``captions`` maps image id -> caption text (join several captions of one image first).
    Leaves are named against all leaves; parents against the top level (parents and
    parentless leaves), since that is the list a person chooses from.
    """
    docs: dict[int, list[str]] = {leaf: [] for leaf in clustering.leaf_labels}
    for image_id, label in zip(clustering.ids.tolist(), clustering.labels.tolist(), strict=True):
        text = captions.get(image_id) if label >= 0 else None
        if text:
            docs[label].append(text)
    cents = {label: clustering.centroids[label] for label in range(len(clustering.centroids))}
    meds = {leaf: clustering.medoids[leaf] for leaf in clustering.leaf_labels}
    leaves = name_categories(docs, {leaf: cents[leaf] for leaf in docs}, bank, meds, weights)
    top = clustering.top_level()
    top_docs = {
        label: [text for leaf in clustering.leaves_under(label) for text in docs[leaf]]
        for label in top
    }
    upper = name_categories(
        top_docs, {label: cents[label] for label in top}, bank, meds, weights, unique=False
    )
    parents = make_unique(
        {p: upper[p] for p in clustering.parent_labels},
        top_docs,
        taken=[n.name for n in leaves.values()],
    )
    return {**leaves, **parents}

"""The search channels: each ranks images for a prepared query on its own terms.

* ``clip``: the query's CLIP vector against the image embeddings;
* ``caption``: the query's sentence vector against the caption vectors (model and people's);
* ``words``: BM25 over caption, people's caption, tags and path words (the store's word
  index, :class:`~picsift.store.ports.WordIndex`).
"""

from __future__ import annotations

import math
import re

import numpy as np

from picsift.search.fusion import ChannelHits
from picsift.store import CAPTION_SPACE, IMAGE_SPACE, PROMPT_SPACE, USER_CAPTION_SPACE
from picsift.store.filters import Filters
from picsift.store.ports import WORD_SOURCES, LibraryStore, VectorBackend
from picsift.wordsplit import split_cjk

CHANNELS = ("clip", "caption", "words")
SOURCES = WORD_SOURCES  # whose text the channels read: the model's, people's, the prompt
_SOURCE_SPACES = {"model": CAPTION_SPACE, "user": USER_CAPTION_SPACE, "prompt": PROMPT_SPACE}
_WORD = re.compile(r"\w+", re.UNICODE)
# Function words carry no content: matching them only adds noise to the fused ranking.
STOP_WORDS = frozenset(
    """a an and are as at be been but by can do does for from had has have her his how i if
    in into is it its me my no not of on or our out over she so some than that the their them
    then there these they this those to too up us very was we were what when where which while
    who whom why will with you your photo photos picture pictures image images showing shows
    show""".split()
)


def dense(
    store: LibraryStore,
    name: str,
    spaces: tuple[str, ...],
    vector: np.ndarray,
    allowed: np.ndarray | None,
    k: int,
    scales: dict[str, float] | None = None,
) -> ChannelHits:
    """Nearest neighbours over one or more spaces; an image found in several keeps its best.
    ``scales`` multiplies one space's scores (a prompt counts less than a caption)."""
    best: dict[int, float] = {}
    for space in spaces:
        index = store.vectors(space)
        scale = (scales or {}).get(space, 1.0)
        if index.count == 0 or index.stamp.dim != vector.shape[-1] or scale <= 0:
            continue
        for image_id, found in live_hits(store, index, vector, allowed, k):
            score = found * scale
            if score > best.get(image_id, float("-inf")):
                best[image_id] = score
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return ChannelHits(name, [i for i, _ in ranked], [s for _, s in ranked])


def live_hits(
    store: LibraryStore,
    index: VectorBackend,
    vector: np.ndarray,
    allowed: np.ndarray | None,
    k: int,
) -> list[tuple[int, float]]:
    """The index's best k (id, score) for one query vector, none of them a deleted image.

    A large index is updated in the background while it keeps serving, so it may still hold
    images deleted since it was built. Their rows are gone: drop them, and ask for more until
    k remain (a filter's ids come from the catalog, so a filtered search has none).
    """
    want = k
    while True:
        scores, ids = index.search(vector, want, allowed)
        hits = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        if allowed is not None or index.stamp.generation == store.images.generation():
            return hits
        alive = store.images.existing_ids([i for i, _ in hits])
        live = [(i, s) for i, s in hits if i in alive]
        if len(live) >= k or len(hits) < want or want >= index.count:
            return live[:k]
        want = min(index.count, 2 * want)


def clip(
    store: LibraryStore, vector: np.ndarray, allowed: np.ndarray | None, k: int
) -> ChannelHits:
    return dense(store, "clip", (IMAGE_SPACE,), vector, allowed, k)


def caption(
    store: LibraryStore,
    vector: np.ndarray,
    allowed: np.ndarray | None,
    k: int,
    sources: tuple[str, ...] = SOURCES,
    prompt_weight: float = 1.0,
) -> ChannelHits:
    spaces = tuple(_SOURCE_SPACES[s] for s in sources)
    return dense(store, "caption", spaces, vector, allowed, k, {PROMPT_SPACE: prompt_weight})


def words_of(text: str) -> list[str]:
    """Lower-cased words, CJK runs as their character bigrams (as the index holds them)."""
    return [w.lower() for w in _WORD.findall(split_cjk(text) or "")]


def content_words(text: str) -> list[str]:
    return [w for w in words_of(text) if w not in STOP_WORDS]


def words(
    store: LibraryStore,
    positive: str,
    negative: str,
    filters: Filters,
    k: int,
    sources: tuple[str, ...] = SOURCES,
    coverage_power: float = 2.0,
    phrases: tuple[str, ...] = (),
    prompt_weight: float = 1.0,
) -> ChannelHits:
    """BM25 over the rarer content words (and each quoted phrase, exactly), each hit's
    contribution scaled by how much of the query it covers."""
    index = store.words
    total = max(1, index.analysed_count())
    frequencies = {w: index.document_frequency(w) for w in set(content_words(positive))}
    # Words in more than half the images have zero IDF in BM25: they change no score, only
    # how many rows get scored (the cost of a search). Leave them out of the match, but keep
    # the rarest word so a query of common words still finds something.
    rare = [w for w, df in frequencies.items() if df <= total / 2]
    if not rare and frequencies:
        rare = [min(frequencies, key=lambda w: (frequencies[w], w))]
    phrases = tuple(split_cjk(p) or "" for p in phrases)  # a CJK phrase: its bigrams, in order
    found = index.search_words(
        rare, content_words(negative), sources, filters, k, phrases, prompt_weight
    )
    if not found:
        return ChannelHits("words", [], [])
    ids = [i for i, _ in found]
    shares = coverage(store, frequencies, total, ids, sources)
    strengths = [c**coverage_power for c in shares]
    return ChannelHits("words", ids, [s for _, s in found], strengths, zero=0.0)


def coverage(
    store: LibraryStore,
    frequencies: dict[str, int],
    total: int,
    ids: list[int],
    sources: tuple[str, ...],
) -> list[float]:
    """Per hit, the IDF-weighted share of the query's content words it contains.

    BM25 ranks a document that matches one common word of six above nothing at all; in a
    paraphrased query that match is noise, while a document holding every word (or the one
    rare token) is the lexical channel at its best. Scaling each hit's fused contribution by
    this share keeps the first from outvoting the semantic channels and lets the second count.
    Words no image contains weigh the most: they are the query's evidence that it is worded
    differently from the captions.
    """
    if not ids:
        return []
    matched = {i: 0.0 for i in ids}
    whole = 0.0
    for word, df in frequencies.items():
        idf = math.log(1.0 + total / (df + 0.5))
        whole += idf
        for image_id in store.words.ids_containing(word, ids, sources):
            matched[image_id] += idf
    return [matched[i] / whole if whole else 0.0 for i in ids]

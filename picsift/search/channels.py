"""The search channels: each ranks images for a prepared query on its own terms.

* ``clip``: the query's CLIP vector against the image embeddings;
* ``caption``: the query's sentence vector against the caption vectors (model and people's);
* ``words``: BM25 over caption, people's caption, tags and path words (SQLite FTS5).
"""

from __future__ import annotations

import re

import numpy as np

from picsift.search.fusion import ChannelHits
from picsift.store import CAPTION_SPACE, IMAGE_SPACE, USER_CAPTION_SPACE, Store

CHANNELS = ("clip", "caption", "words")
SOURCES = ("model", "user")  # whose captions the text channels read: the model's, people's
_SOURCE_SPACES = {"model": CAPTION_SPACE, "user": USER_CAPTION_SPACE}
_SOURCE_COLUMNS = {"model": ("caption", "tags", "path_words"), "user": ("user_caption",)}
_WORD = re.compile(r"\w+", re.UNICODE)


def dense(
    store: Store,
    name: str,
    spaces: tuple[str, ...],
    vector: np.ndarray,
    allowed: np.ndarray | None,
    k: int,
) -> ChannelHits:
    """Nearest neighbours over one or more spaces; an image found in several keeps its best."""
    best: dict[int, float] = {}
    for space in spaces:
        index = store.vector_index(space, save=False)
        if index.count == 0 or index.stamp.dim != vector.shape[-1]:
            continue
        scores, ids = index.search(vector, k, allowed)
        for image_id, score in zip(ids[0], scores[0], strict=True):
            if image_id >= 0 and score > best.get(int(image_id), float("-inf")):
                best[int(image_id)] = float(score)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return ChannelHits(name, [i for i, _ in ranked], [s for _, s in ranked])


def clip(store: Store, vector: np.ndarray, allowed: np.ndarray | None, k: int) -> ChannelHits:
    return dense(store, "clip", (IMAGE_SPACE,), vector, allowed, k)


def caption(
    store: Store,
    vector: np.ndarray,
    allowed: np.ndarray | None,
    k: int,
    sources: tuple[str, ...] = SOURCES,
) -> ChannelHits:
    spaces = tuple(_SOURCE_SPACES[s] for s in sources)
    return dense(store, "caption", spaces, vector, allowed, k)


def words_of(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def match_expression(
    positive: str, negative: str = "", sources: tuple[str, ...] = SOURCES
) -> str | None:
    """FTS5 query: any positive word (BM25 rewards documents with more), none of the negatives,
    in the columns of the chosen caption sources."""
    quote = '"{}"'.format
    pos = sorted(set(words_of(positive)))
    if not pos:
        return None
    columns = " ".join(c for s in sources for c in _SOURCE_COLUMNS[s])
    expr = "{" + columns + "} : (" + " OR ".join(quote(w) for w in pos) + ")"
    neg = sorted(set(words_of(negative)) - set(pos))
    if neg:
        expr += " NOT (" + " OR ".join(quote(w) for w in neg) + ")"
    return expr


def words(
    store: Store,
    positive: str,
    negative: str,
    condition: str,
    params: list[object],
    k: int,
    sources: tuple[str, ...] = SOURCES,
) -> ChannelHits:
    expr = match_expression(positive, negative, sources)
    if expr is None:
        return ChannelHits("words", [], [])
    found = store.catalog.match_text(expr, condition, params, k)
    return ChannelHits("words", [i for i, _ in found], [s for _, s in found])

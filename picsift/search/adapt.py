"""Per-query channel weights: the configured weights, adjusted to what the query is.

The word channel helps a query that names a few things in pictures described at length
(``red dress on a hanger`` against paragraph captions): the sentence embedding of a long
caption dilutes a short query's match, and word matching does not. It does not help a query
that is itself a description as long as the captions (``A man rides a wave on a
surfboard.`` against one-sentence captions): the sentence channels compare two
descriptions best, and shared common words then point as often to the wrong picture as to
the right one. Measured on held-out human captions (``bench/tune_fusion.py``), giving
``words`` its full weight on such queries made the fused ranking worse than the caption
channel alone; giving it none made it equal, while short queries kept their gain.

So the word channel's weight falls linearly from full to zero as the query's length goes
from ``ramp[0]`` to ``ramp[1]`` times the library's mean caption length. A query with a
quoted phrase asks for exact words and keeps the full weight; so does a search on the word
channel alone.

Words match words, not meaning, so a query in a language none of the captions are in
(``красное платье`` against English captions) gets no word channel at all: its matches
could only be accidents. The semantic channels of a multilingual preset read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from picsift.search.channels import words_of
from picsift.search.language import Detected
from picsift.search.query import Query

# Scripts written without spaces between words: a caption's length in words (spaces + 1)
# says nothing there, so the length rule does not apply to queries in them.
UNSPACED = frozenset({"zh", "ja", "th"})


@dataclass(frozen=True)
class Adapted:
    weights: dict[str, float]
    notes: tuple[str, ...] = ()  # why a weight changed, for --explain and the API


def adapt_weights(
    weights: dict[str, float],
    query: Query,
    mean_caption_words: float,
    ramp: tuple[float, float],
    language: Detected | None = None,
    caption_languages: frozenset[str] = frozenset(),
) -> Adapted:
    """The weights to fuse this query with, and the reasons for any change. ``language`` is
    the query's, ``caption_languages`` those the library's captions are in."""
    words = weights.get("words", 0.0)
    others = any(w > 0 for name, w in weights.items() if name != "words")
    length = len(words_of(query.positive_text))
    if words <= 0 or not others or query.phrases or not length:
        return Adapted(dict(weights))
    foreign = language is not None and language.known and caption_languages
    if foreign and language is not None and language.language not in caption_languages:
        note = (
            f"words left out: the query reads as {language.language} (by {language.by}); "
            f"the captions here are in {', '.join(sorted(caption_languages))}, and words "
            "find words, not meaning"
        )
        return Adapted({**weights, "words": 0.0}, (note,))
    if mean_caption_words <= 0 or (language is not None and language.language in UNSPACED):
        return Adapted(dict(weights))  # no captions yet, or lengths not comparable in words
    ratio = length / mean_caption_words
    low, high = ramp
    share = 1.0 if ratio <= low else 0.0 if ratio >= high else (high - ratio) / (high - low)
    if share >= 1.0:
        return Adapted(dict(weights))
    adapted = {**weights, "words": round(words * share, 4)}
    note = (
        f"words weight {words:g} -> {adapted['words']:g}: the query ({length} words) is "
        f"{ratio:.0%} as long as a caption here ({mean_caption_words:.0f} words), a "
        "description the sentence channels compare best"
    )
    return Adapted(adapted, (note,))

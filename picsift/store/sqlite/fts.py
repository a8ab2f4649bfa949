"""FTS5 match expressions from plain words; the SQLite store only.

Callers give words, negative words and caption sources; only this module knows FTS5 syntax
(column filters, phrase quoting, OR / NOT), so a word can never be read as an operator.
"""

from __future__ import annotations

from collections.abc import Sequence

_SOURCE_COLUMNS = {
    "model": ("caption", "tags", "path_words"),
    "user": ("user_caption",),
    "prompt": ("prompt",),
}


def quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def columns(sources: Sequence[str]) -> str:
    return "{" + " ".join(c for s in sources for c in _SOURCE_COLUMNS[s]) + "}"


def any_word(
    words: Sequence[str],
    negatives: Sequence[str],
    sources: Sequence[str],
    phrases: Sequence[str] = (),
) -> str | None:
    """Any of ``words`` (BM25 rewards documents with more) in the sources' columns, every
    one of ``phrases`` as an exact phrase there, none of ``negatives`` anywhere; None when
    there is nothing to look for."""
    positive = sorted(set(words))
    exact = [p for p in dict.fromkeys(" ".join(p.split()) for p in phrases) if p]
    if not positive and not exact:
        return None
    inner = " OR ".join(quoted(w) for w in [*positive, *exact])
    if exact:
        inner = " AND ".join(quoted(p) for p in exact) + f" AND ({inner})"
    expr = columns(sources) + " : (" + inner + ")"
    negative = sorted(set(negatives) - set(positive))
    if negative:
        expr += " NOT (" + " OR ".join(quoted(w) for w in negative) + ")"
    return expr


def one_word(word: str, sources: Sequence[str] | None = None) -> str:
    return quoted(word) if sources is None else f"{columns(sources)} : {quoted(word)}"

"""Word splitting shared by the full-text index and the queries that search it.

SQLite's ``unicode61`` tokenizer splits on spaces and punctuation, which Chinese and
Japanese text does not have: a whole Chinese sentence would be one token, and a query word
inside it would never match. The usual remedy (Lucene's CJK bigram filter) indexes each
run of CJK characters as its overlapping character pairs; a query is split the same way,
so "连衣裙" (dress) matches "红色连衣裙挂在衣架上" through "连衣" and "衣裙". Other
scripts are left as they are.
"""

from __future__ import annotations

import re

# Han (CJK ideographs and extensions A, compatibility), kana, Hangul syllables and jamo
_CJK_RUN = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+"
)


def _bigrams(match: re.Match[str]) -> str:
    run = match.group()
    pairs = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return " " + " ".join(pairs) + " "


def split_cjk(text: str | None) -> str | None:
    """``text`` with each CJK run replaced by its character bigrams (a lone character stays);
    ``None`` stays ``None`` (SQL NULL)."""
    if text is None:
        return None
    return _CJK_RUN.sub(_bigrams, text)

"""Query language: plain words, or arithmetic over weighted text and image terms.

    red car at night                      one text term (the whole line)
    "2:golden retriever" + ./pool.jpg - "fruit"
    2:"golden retriever" + #42            #42 / id:42 = an indexed image ("more like this")

Terms are joined by ``+`` / ``-``; a term is a quoted text, a path to an image file, or an
image id; ``N:`` in front of (or inside the quotes of) a term weights it. Dense channels add
the weighted embeddings; the word channel uses the positive texts and excludes the words of
negative ones.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from picsift.errors import PicsiftError

TermKind = Literal["text", "image", "id"]
MAX_QUERY_CHARS = 2000
MAX_TERMS = 16
_IMAGE_SUFFIX = re.compile(r"\.(jpe?g|png|webp|gif|bmp|tiff?)$", re.IGNORECASE)
_WEIGHT = re.compile(r"^(-?\d+(?:\.\d+)?):(.+)$", re.DOTALL)
_ID = re.compile(r"^(?:#|id:)(\d+)$")
_TOKEN = re.compile(
    r"""(?P<op>(?<!\S)[+-](?=\s|"|'|$))"""
    r"""|(?P<qweight>-?\d+(?:\.\d+)?:)?(?P<quoted>"[^"]*"|'[^']*')"""
    r"""|(?P<word>[^\s"']+)"""
)


class QueryError(PicsiftError):
    """The query text cannot be parsed; the message says where."""


@dataclass(frozen=True)
class Term:
    kind: TermKind
    value: str
    weight: float = 1.0  # negative for "-" terms

    @property
    def positive(self) -> bool:
        return self.weight > 0


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    @property
    def texts(self) -> list[Term]:
        return [t for t in self.terms if t.kind == "text"]

    @property
    def positive_text(self) -> str:
        return " ".join(t.value for t in self.terms if t.kind == "text" and t.positive)

    @property
    def negative_text(self) -> str:
        return " ".join(t.value for t in self.terms if t.kind == "text" and not t.positive)


def _is_arithmetic(text: str) -> bool:
    return '"' in text or bool(re.search(r"(^|\s)[+-](\s|$)", text)) or bool(_ID.match(text))


def _term(token: str, sign: float, quoted: bool) -> Term:
    weight = 1.0
    match = _WEIGHT.match(token)
    if match:
        weight, token = float(match.group(1)), match.group(2).strip()
    if weight == 0:
        raise QueryError(f"term '{token}' has weight 0")
    if not math.isfinite(weight):
        raise QueryError(f"term '{token}' has a weight too large to use")
    if not token.strip():
        raise QueryError("empty term in query")
    if not quoted and (id_match := _ID.match(token)):
        if int(id_match.group(1)) >= 2**63:
            raise QueryError(f"image id {id_match.group(1)} is out of range")
        return Term("id", id_match.group(1), sign * weight)
    if not quoted and (_IMAGE_SUFFIX.search(token) or token.startswith(("./", "/", "~/"))):
        return Term("image", token, sign * weight)
    return Term("text", token, sign * weight)


def parse_query(text: str) -> Query:
    text = text.strip()
    if not text:
        raise QueryError("empty query: type what you are looking for")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(text)} characters, over the limit of {MAX_QUERY_CHARS}")
    if not _is_arithmetic(text):
        return Query((_term(text, 1.0, quoted=True),))
    if text.count('"') % 2:
        raise QueryError("unbalanced double quotes in query")
    terms: list[Term] = []
    sign: float | None = 1.0  # None: a term was just read, an operator (or more words) follows
    for match in _TOKEN.finditer(text):
        op, quoted, word = match.group("op"), match.group("quoted"), match.group("word")
        if op is not None:
            if sign is not None and terms:
                raise QueryError(f"two operators in a row near '{op}'")
            sign = -1.0 if op == "-" else 1.0
            continue
        token, is_quoted = (quoted[1:-1], True) if quoted else (word, False)
        if quoted and (weight := match.group("qweight")):
            token = f"{weight}{token}"
        if sign is None:  # words after a term without an operator continue a text phrase
            last = terms.pop()
            if last.kind != "text" or is_quoted:
                raise QueryError(f"missing '+' or '-' before '{token}'")
            terms.append(Term("text", f"{last.value} {token}", last.weight))
            continue
        terms.append(_term(token, sign, is_quoted))
        sign = None
    if sign is not None and terms:
        raise QueryError("the query ends with an operator")
    if not terms:
        raise QueryError("the query has operators but no terms")
    if len(terms) > MAX_TERMS:
        raise QueryError(f"query has {len(terms)} terms, over the limit of {MAX_TERMS}")
    if not any(t.positive for t in terms):
        raise QueryError("a query needs at least one positive term to look for")
    return Query(tuple(terms))

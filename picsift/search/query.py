"""Query language: plain text, or arithmetic over weighted text and image terms.

    red car at night                      one text term (the whole line)
    a sign that says "OPEN" in red        plain text; "OPEN" is an exact phrase for words
    "2:golden retriever" + ./pool.jpg - "fruit"
    2:"golden retriever" + #42            #42 / id:42 = an indexed image ("more like this")

A query is arithmetic only when it unambiguously is: terms joined by ``+`` / ``-``, a weight
``N:`` in front of (or inside the quotes of) a term, an image id or a path to an image file.
Dense channels add the weighted embeddings; the word channel uses the positive texts and
excludes the words of negative ones.

Anything else is plain text, and never an error: stray or unbalanced quotes, FTS operators,
``#``, ``%`` and ``+`` are just text. A quoted part is an exact phrase for the word channel
while the semantic channels read the text without the quotes; a prompt pasted from an image
generator (``(masterpiece:1.2), [dog], <lora:x:0.8>``) is reduced to its words.
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
    phrases: tuple[str, ...] = ()  # exact phrases for the words channel (quoted in plain text)
    arithmetic: bool = False  # read as terms joined by + and -, else as plain text

    def reading(self) -> dict[str, object]:
        """How the query was read, for ``--explain`` and the API."""
        return {
            "read_as": "arithmetic" if self.arithmetic else "plain text",
            "terms": [{"kind": t.kind, "value": t.value, "weight": t.weight} for t in self.terms],
            "phrases": list(self.phrases),
        }

    @property
    def texts(self) -> list[Term]:
        return [t for t in self.terms if t.kind == "text"]

    @property
    def positive_text(self) -> str:
        return " ".join(t.value for t in self.terms if t.kind == "text" and t.positive)

    @property
    def negative_text(self) -> str:
        return " ".join(t.value for t in self.terms if t.kind == "text" and not t.positive)


class _NotArithmetic(Exception):
    """The text does not parse as arithmetic: it is plain text."""


def _looks_arithmetic(text: str) -> bool:
    """A weight prefix, a lone image id, or an operator next to a quoted term, an image id or
    an image path: only then is the arithmetic tried at all (``red + blue`` is plain text)."""
    if _ID.match(text) or re.search(r"(^|\s|\")-?\d+(\.\d+)?:\S", text):
        return True
    tokens = list(_TOKEN.finditer(text))
    for i, match in enumerate(tokens):
        if match.group("op") is not None:
            near = tokens[max(0, i - 1) : i] + tokens[i + 1 : i + 2]
            if any(_operand(t) for t in near):
                return True
    return False


def _operand(token: re.Match[str]) -> bool:
    """A quoted term, an image id or an image path: what only arithmetic puts by an operator."""
    word = token.group("word")
    return bool(token.group("quoted")) or bool(word and (_ID.match(word) or _image_path(word)))


def _image_path(token: str) -> bool:
    return bool(_IMAGE_SUFFIX.search(token)) or token.startswith(("./", "/", "~/"))


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
        raise _NotArithmetic()
    if not quoted and (id_match := _ID.match(token)):
        if int(id_match.group(1)) >= 2**63:
            raise QueryError(f"image id {id_match.group(1)} is out of range")
        return Term("id", id_match.group(1), sign * weight)
    if not quoted and _image_path(token):
        return Term("image", token, sign * weight)
    return Term("text", token, sign * weight)


def parse_query(text: str) -> Query:
    """Arithmetic when the text unambiguously is (see the module doc), else plain text, in
    which stray quotes, operators and symbols are only text: never an error."""
    text = text.strip()
    if not text:
        raise QueryError("empty query: type what you are looking for")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(text)} characters, over the limit of {MAX_QUERY_CHARS}")
    if _looks_arithmetic(text):
        try:
            query = _arithmetic(text)
        except _NotArithmetic:
            return plain_query(text)
        if len(query.terms) > 1 or any(t.kind != "text" or t.weight != 1 for t in query.terms):
            return query
    return plain_query(text)


def _arithmetic(text: str) -> Query:
    """Terms joined by + / -; _NotArithmetic where the text does not fit that shape, and
    QueryError where it does but asks for something impossible."""
    if text.count('"') % 2:
        raise _NotArithmetic()
    terms: list[Term] = []
    sign: float | None = 1.0  # None: a term was just read, an operator (or more words) follows
    for match in _TOKEN.finditer(text):
        op, quoted, word = match.group("op"), match.group("quoted"), match.group("word")
        if op is not None:
            if sign is not None and terms:
                raise _NotArithmetic()  # two operators in a row
            sign = -1.0 if op == "-" else 1.0
            continue
        token, is_quoted = (quoted[1:-1], True) if quoted else (word, False)
        if quoted and (weight := match.group("qweight")):
            token = f"{weight}{token}"
        if sign is None:  # words after a term without an operator continue a text phrase
            last = terms.pop()
            if last.kind != "text" or is_quoted:
                raise _NotArithmetic()
            terms.append(Term("text", f"{last.value} {token}", last.weight))
            continue
        terms.append(_term(token, sign, is_quoted))
        sign = None
    if (sign is not None and terms) or not terms:
        raise _NotArithmetic()  # ends with an operator, or operators only
    if len(terms) > MAX_TERMS:
        raise QueryError(f"query has {len(terms)} terms, over the limit of {MAX_TERMS}")
    if not any(t.positive for t in terms):
        raise QueryError("a query needs at least one positive term to look for")
    return Query(tuple(terms), arithmetic=True)


# What image generators put around the words of a prompt: LoRA and embedding tags,
# attention weights "(word:1.2)", emphasis brackets.
_GENERATOR_TAG = re.compile(r"<[^<>]*>")
_ATTENTION = re.compile(r":\s*-?\d+(?:\.\d+)?\s*(?=[)\]])")
_QUOTED = re.compile(r'"([^"]+)"')


def plain_query(text: str) -> Query:
    """One text term: the words without quotes and generator syntax; each quoted part is also
    kept as an exact phrase for the words channel."""
    phrases = tuple(p for p in (" ".join(q.split()) for q in _QUOTED.findall(text)) if p)
    cleaned = _ATTENTION.sub("", _GENERATOR_TAG.sub(" ", text))
    cleaned = " ".join(re.sub(r"[\"()\[\]{}]", " ", cleaned).split())
    cleaned = re.sub(r"\s*(,\s*)+", ", ", cleaned).strip(" ,")
    if not cleaned:
        raise QueryError("the query has no words to look for")
    return Query((Term("text", cleaned, 1.0),), phrases)

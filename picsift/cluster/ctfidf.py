"""Class-based TF-IDF (c-TF-IDF, as in BERTopic) over the captions of each category.

Each category is treated as one document. A term's weight in category c is
``tf(t, c) * log(1 + A / f(t))`` where ``tf`` is the term's count in c divided by all term
counts in c, ``f(t)`` its count over all categories and ``A`` the average number of terms
per category: high for words frequent in this category and rare in the others, i.e. what
distinguishes it, which is what a name needs (plain frequency would name everything
"white" or "wooden").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

# Words every caption model writes whatever the picture ("The image shows a close-up of ..."):
# never a category name, so they are stop words on top of the English list.
CAPTION_STOP_WORDS = frozenset(
    """image images picture pictures photo photos photograph photographs shows showing shown
    show depicts depicting depicted features featuring appears appear appearing visible seen
    view viewed background foreground left right center centre middle corner edge side sides
    overall likely possibly slightly various different pair set placed positioned lying
    surrounded captured taken looks look looking suggests suggesting giving gives creating
    creates adds adding making makes style design color colour colors colours visible also
    close closeup close-up near next beneath behind front area part parts piece pieces""".split()
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | CAPTION_STOP_WORDS
# a word (letters, hyphenated parts kept together: "t-shirt"), or one other visible character
_TOKENS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\S")
MAX_DOCS_PER_CLASS = 500  # per category: enough to rank terms; 200 x 500 captions take ~4 s


@dataclass(frozen=True)
class Term:
    """One keyword of a category: its c-TF-IDF ``score``, its ``share`` of that term's weight
    over all categories (1 = only this category uses it) and its ``coverage`` (fraction of
    the category's captions that mention it)."""

    text: str
    score: float
    share: float
    coverage: float


def phrases(text: str, stop_words: frozenset[str], max_n: int = 2) -> list[str]:
    """Lowercased words and n-grams of *adjacent* words (up to ``max_n``).

    Unlike the usual "drop stop words, then pair what is left", an n-gram never spans a
    removed word or punctuation: "a dog on the beach" gives "dog" and "beach", not the
    phrase "dog beach" nobody wrote. Single letters and digits are not words here.
    """
    out: list[str] = []
    run: list[str] = []
    for token in [*_TOKENS.findall(text.lower()), "."]:
        if len(token) > 1 and token[0].isalpha() and token not in stop_words:
            run.append(token)
            continue
        for n in range(1, max_n + 1):
            out.extend(" ".join(run[i : i + n]) for i in range(len(run) - n + 1))
        run = []
    return out


def _sample(docs: Sequence[str], limit: int) -> list[str]:
    """Evenly spaced captions: enough to rank terms, bounded cost for 100k-photo categories."""
    if len(docs) <= limit:
        return list(docs)
    step = len(docs) / limit
    return [docs[int(i * step)] for i in range(limit)]


def class_tfidf(
    docs: Mapping[int, Sequence[str]],
    top_n: int = 10,
    max_n: int = 2,
    stop_words: frozenset[str] = STOP_WORDS,
    max_docs_per_class: int = MAX_DOCS_PER_CLASS,
) -> dict[int, list[Term]]:
    """The ``top_n`` most distinctive terms (words and, up to ``max_n``, phrases) per class.

    ``docs`` maps a category label to its members' captions. Classes without any usable
    caption get an empty list.
    """
    labels = list(docs)
    texts: list[str] = []
    owner: list[int] = []
    for row, label in enumerate(labels):
        for text in _sample([d for d in docs[label] if d and d.strip()], max_docs_per_class):
            texts.append(text)
            owner.append(row)
    out: dict[int, list[Term]] = {label: [] for label in labels}
    if not texts:
        return out
    analyzer = partial(phrases, stop_words=stop_words, max_n=max_n)
    vectorizer = CountVectorizer(analyzer=analyzer)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # every caption was stop words only
        return out
    vocab = vectorizer.get_feature_names_out()
    membership = sparse.csr_matrix(
        (np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(len(labels), len(owner))
    )
    per_class = np.asarray((membership @ counts).todense(), dtype=np.float64)
    docs_with = np.asarray((membership @ (counts > 0).astype(np.float64)).todense())
    n_docs = np.asarray(membership.sum(axis=1)).ravel()

    totals = per_class.sum(axis=1, keepdims=True)
    tf = per_class / np.maximum(totals, 1.0)
    frequency = per_class.sum(axis=0)
    average = per_class.sum() / len(labels)
    weights = tf * np.log1p(average / np.maximum(frequency, 1.0))
    column = np.maximum(weights.sum(axis=0), 1e-12)

    for row, label in enumerate(labels):
        ranked = np.argsort(-weights[row], kind="stable")[:top_n]
        out[label] = [
            Term(
                text=str(vocab[j]),
                score=float(weights[row, j]),
                share=float(weights[row, j] / column[j]),
                coverage=float(docs_with[row, j] / max(n_docs[row], 1.0)),
            )
            for j in ranked
            if weights[row, j] > 0
        ]
    return out


def best_phrase(terms: Sequence[Term], min_relative_coverage: float = 0.7) -> Term | None:
    """The top term, or a bigram containing it when nearly as many captions say the bigram.

    "golden retriever", "living room" and "ice cream" name a category better than "golden"
    or "room"; the bigram wins only if it covers at least ``min_relative_coverage`` of the
    captions the top word covers, so a phrase that a few captions use does not.
    """
    if not terms:
        return None
    top = terms[0]
    if " " in top.text:
        return top
    for term in terms[1:]:
        words = term.text.split()
        close = term.coverage >= min_relative_coverage * top.coverage
        if len(words) > 1 and top.text in words and close:
            return term
    return top

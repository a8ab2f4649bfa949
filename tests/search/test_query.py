"""The query language: plain text, weighted arithmetic, ids, and clear errors."""

from __future__ import annotations

import pytest

from picsift.search.query import MAX_QUERY_CHARS, QueryError, Term, parse_query


def test_plain_words_are_one_text_term() -> None:
    assert parse_query("  red t-shirt on a bed ").terms == (Term("text", "red t-shirt on a bed"),)


def test_weighted_arithmetic_over_text_images_and_ids() -> None:
    q = parse_query('"2:golden retriever" + ./pool.jpg - "fruit" + #42')
    assert q.terms == (
        Term("text", "golden retriever", 2.0),
        Term("image", "./pool.jpg", 1.0),
        Term("text", "fruit", -1.0),
        Term("id", "42", 1.0),
    )
    assert q.positive_text == "golden retriever" and q.negative_text == "fruit"


def test_weight_outside_quotes_and_unquoted_phrases() -> None:
    q = parse_query('0.5:"blue" + denim jacket - id:7')
    assert q.terms == (
        Term("text", "blue", 0.5),
        Term("text", "denim jacket", 1.0),
        Term("id", "7", -1.0),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty query"),
        ("x" * (MAX_QUERY_CHARS + 1), "over the limit"),
        ('"a" + "b" -', "ends with an operator"),
        ('-"fruit"', "at least one positive"),
        ('"unbalanced', "unbalanced"),
        ('"0:zero"', "weight 0"),
        ('"a" + + "b"', "two operators"),
    ],
)
def test_bad_queries_say_why(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(text)

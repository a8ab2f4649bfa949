"""The query language: plain text, weighted arithmetic, ids, and clear errors."""

from __future__ import annotations

import pytest

from picsift.cli.search import reading_line
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
        ('-"fruit"', "at least one positive"),
        ('"0:zero"', "weight 0"),
        ("#99999999999999999999 + #1", "out of range"),
        ('""', "no words"),
    ],
)
def test_bad_queries_say_why(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(text)


@pytest.mark.parametrize(
    ("text", "value", "phrases"),
    [
        ('a sign that says "OPEN" in red', "a sign that says OPEN in red", ("OPEN",)),
        (
            'Young boy with a black " ADHD " t-shirt',
            "Young boy with a black ADHD t-shirt",
            ("ADHD",),
        ),
        ('a "b', "a b", ()),
        ('"unbalanced', "unbalanced", ()),
        ('"a" + "b" -', "a + b -", ("a", "b")),
        ('"a" + + "b"', "a + + b", ("a", "b")),
        ("#hashtag sale", "#hashtag sale", ()),
        ("50% off + free shipping", "50% off + free shipping", ()),
        ("cats AND dogs OR NEAR(birds) ^2 *", "cats AND dogs OR NEAR birds ^2 *", ()),
        ("(masterpiece:1.2), [dog], <lora:x:0.8>, 8k", "masterpiece, dog, 8k", ()),
        ('"red dress"', "red dress", ("red dress",)),
    ],
)
def test_ordinary_text_is_plain_never_an_error(
    text: str, value: str, phrases: tuple[str, ...]
) -> None:
    q = parse_query(text)
    assert q.terms == (Term("text", value),) and q.phrases == phrases


def test_the_reading_says_how_a_query_was_taken() -> None:
    plain = parse_query('a sign that says "OPEN" in red').reading()
    assert plain == {
        "read_as": "plain text",
        "terms": [{"kind": "text", "value": "a sign that says OPEN in red", "weight": 1.0}],
        "phrases": ["OPEN"],
    }
    sums = parse_query('"red" - "blue"').reading()
    assert sums["read_as"] == "arithmetic"
    assert [t["weight"] for t in sums["terms"]] == [1.0, -1.0]  # type: ignore[index]
    assert reading_line(plain) == (
        'read as plain text: text "a sign that says OPEN in red"; exact phrase "OPEN"'
    )
    assert reading_line(sums) == 'read as arithmetic: text "red" -text "blue"'

"""Per-query weights: the words channel steps back for descriptions as long as the
captions, and nowhere else."""

from __future__ import annotations

import pytest

from picsift.search.adapt import adapt_weights
from picsift.search.query import parse_query

WEIGHTS = {"clip": 1.0, "caption": 1.0, "words": 1.5}
RAMP = (0.4, 0.6)


def test_a_short_query_keeps_full_weights() -> None:
    adapted = adapt_weights(WEIGHTS, parse_query("red dress on a hanger"), 20.0, RAMP)
    assert adapted.weights == WEIGHTS
    assert adapted.notes == ()


def test_a_description_as_long_as_the_captions_turns_words_off_and_says_why() -> None:
    query = parse_query("A man riding a wave on top of a surfboard in the sea")  # 13 words
    adapted = adapt_weights(WEIGHTS, query, 10.0, RAMP)
    assert adapted.weights == {"clip": 1.0, "caption": 1.0, "words": 0.0}
    assert "13 words" in adapted.notes[0]
    assert "130%" in adapted.notes[0]


def test_the_weight_falls_linearly_inside_the_ramp() -> None:
    query = parse_query("one two three four five")  # 5 words against 10: ratio 0.5
    adapted = adapt_weights(WEIGHTS, query, 10.0, RAMP)
    assert adapted.weights["words"] == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("text", "weights", "mean"),
    [
        ('a man holding a sign that says "OPEN" on a street', WEIGHTS, 8.0),  # a phrase
        ("a man riding a wave on a surfboard", {"words": 1.0}, 8.0),  # words alone
        ("a man riding a wave on a surfboard", WEIGHTS, 0.0),  # no captions yet
    ],
)
def test_exact_phrases_a_lone_words_channel_and_an_empty_library_are_left_alone(
    text: str, weights: dict[str, float], mean: float
) -> None:
    assert adapt_weights(weights, parse_query(text), mean, RAMP).weights == weights


def test_the_length_rule_leaves_scripts_without_spaces_alone() -> None:
    from picsift.search.language import Detected

    query = parse_query("红色连衣裙挂在白墙前的衣架上")  # 13 bigrams; the captions count 1 "word"
    adapted = adapt_weights(WEIGHTS, query, 1.0, RAMP, Detected("zh", 1.0, "script"))
    assert adapted.weights == WEIGHTS

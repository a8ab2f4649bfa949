"""The word index port: callers give plain words and typed filters; whatever they type is a
word, never FTS5 syntax, and filters narrow the search inside the index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from picsift.store import Analysis, Store
from picsift.store.filters import FilterError, Filters

SOURCES = ("model", "user")
CAPTIONS = {
    1: ("a red dress on a hanger", "PNG"),
    2: ("a blue shirt with a red hat", "JPEG"),
    3: ("shoes by the door", "JPEG"),
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "home")
    cat = store.catalog
    cat.add_pending([(f"/p/{i}.jpg", 1, 1) for i in CAPTIONS])
    cat.bind_model("image", "m", 4)
    cat.commit_analyses(
        [
            Analysis(
                f"/p/{i}.jpg", f"{i:064x}", 1, 1, 10 * i, 10, fmt, None, caption, "m", "c",
                {"image": ("m", np.eye(4, dtype=np.float32)[i])},
            )
            for i, (caption, fmt) in CAPTIONS.items()
        ]
    )  # fmt: skip
    return store


def _ids(store: Store, words: list[str], negatives: list[str] = [], **filters: object) -> list[int]:  # noqa: B006
    found = store.words.search_words(words, negatives, SOURCES, Filters(**filters), 10)  # type: ignore[arg-type]
    return sorted(i for i, _ in found)


def test_an_operator_word_is_matched_as_a_word(store: Store) -> None:
    assert _ids(store, ["with"]) == [2] and _ids(store, ["WITH"]) == [2]


def test_any_word_none_of_the_negatives(store: Store) -> None:
    assert _ids(store, ["red"]) == [1, 2]
    assert _ids(store, ["red", "shoes"]) == [1, 2, 3]
    assert _ids(store, ["red"], ["hat"]) == [1]
    assert _ids(store, []) == []


@pytest.mark.parametrize("word", ["AND", "OR", "NOT", "NEAR", "*", "^", ":", "(", ')"', 'a"b'])
def test_operators_and_quotes_are_plain_words(store: Store, word: str) -> None:
    assert _ids(store, [word]) == []  # a word no caption holds: no match, and no error
    assert store.words.document_frequency(word) == 0


def test_filters_narrow_inside_the_index(store: Store) -> None:
    assert _ids(store, ["red"], formats=("png",)) == [1]
    assert _ids(store, ["red"], min_width=15) == [2]
    assert list(store.images.ids_matching(Filters(formats=("jpg",)))) == [2, 3]
    with pytest.raises(FilterError, match="at most"):
        store.images.ids_matching(Filters(min_width=2**64))


def test_containing_and_frequency(store: Store) -> None:
    assert store.words.ids_containing("red", [1, 2, 3], SOURCES) == {1, 2}
    assert store.words.ids_containing("red", [1, 2, 3], ("user",)) == set()
    assert store.words.document_frequency("red") == 2
    assert store.images.get(2**70) is None  # beyond SQLite's integers: simply not there


def test_phrases_match_exactly(store: Store) -> None:
    def phrase(*phrases: str, words: tuple[str, ...] = ()) -> list[int]:
        found = store.words.search_words(list(words), [], SOURCES, Filters(), 10, phrases)
        return sorted(i for i, _ in found)

    assert phrase("red hat") == [2] and phrase("red dress") == [1]
    assert phrase("hat red") == [] and phrase("red", words=("shoes",)) == [1, 2]
    assert phrase('a "quoted" AND (odd) phrase') == []


def test_mean_words_per_caption_source_follows_the_catalog(store: Store) -> None:
    assert store.words.mean_words(("model",)) == pytest.approx((6 + 7 + 4) / 3)
    assert store.words.mean_words(("user",)) == 0.0  # no people's captions yet
    store.catalog.set_user_captions({"/p/1.jpg": "  a  dress "}, "user_captions")
    assert store.words.mean_words(("user",)) == 3.0  # "a  dress": counted as SQLite splits
    assert store.words.mean_words(SOURCES) == pytest.approx((6 + 7 + 4 + 3) / 4)


def test_caption_sample_is_spread_and_stable(store: Store) -> None:
    sample = store.words.caption_sample(("model",), 2)
    assert len(sample) == 2 and set(sample) <= {c for c, _ in CAPTIONS.values()}
    assert store.words.caption_sample(("model",), 2) == sample
    assert store.words.caption_sample(("user",), 5) == []
    assert len(store.words.caption_sample(SOURCES, 10)) == 3


@pytest.mark.parametrize(
    ("caption", "query", "found"),
    [
        ("Красное платье на вешалке", ["платье"], True),  # Cyrillic: unicode61 splits it
        ("Красное платье на вешалке", ["платья"], False),  # no Russian stemming: exact forms
        ("红色连衣裙挂在白墙前的衣架上", ["连衣", "衣裙"], True),  # 连衣裙 (dress), as bigrams
        ("红色连衣裙挂在白墙前的衣架上", ["裤子"], False),  # trousers
        ("白い壁の前のハンガーに赤いドレス", ["ドレ", "レス"], True),  # ドレス (dress)
        ("흰 벽 앞 옷걸이에 걸린 빨간 드레스", ["드레", "레스"], True),
    ],
)
def test_non_latin_peoples_captions_are_matched_exactly(
    store: Store, caption: str, query: list[str], found: bool
) -> None:
    store.catalog.set_user_captions({"/p/3.jpg": caption}, "user_captions")
    hits = store.words.search_words(query, [], ("user",), Filters(), 10)
    assert ([i for i, _ in hits] == [3]) is found

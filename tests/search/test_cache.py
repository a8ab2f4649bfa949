"""The query vector cache: repeats skip the text tower, results are unchanged."""

from __future__ import annotations

import numpy as np

from picsift.search.cache import TextVectorCache
from tests.fakes import FakeTextEmbedder


def test_repeats_are_served_from_the_cache_and_equal_fresh_vectors() -> None:
    model = FakeTextEmbedder()
    cache = TextVectorCache(size=2)
    first = cache.embed(model, ["red dress", "blue hat"])
    assert model.texts_seen == 2
    again = cache.embed(model, ["blue hat", "red dress", "green shoe"])
    assert model.texts_seen == 3  # only the new text went to the model
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], first[0])
    assert np.allclose(again[2], model.embed_texts(["green shoe"])[0])
    assert (cache.hits, cache.misses) == (2, 3)
    cache.embed(model, ["blue hat"])  # evicted: size 2 kept the two most recently used
    assert model.texts_seen == 5


def test_size_zero_turns_it_off() -> None:
    model = FakeTextEmbedder()
    cache = TextVectorCache(size=0)
    cache.embed(model, ["a"])
    cache.embed(model, ["a"])
    assert model.texts_seen == 2

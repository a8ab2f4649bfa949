"""What people type never breaks search: any printable string gives a page or a QueryError
naming the problem, and ordinary sentences with quotes always give a page (property tests,
with the fake models over a small library)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.search import QueryError, SearchOptions, SearchService
from picsift.store import Store
from tests.fakes import FakeModels

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
WORDS = ["red", "dress", "sign", "open", "a", "the", "blue", "shirt", "says", "in"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchService]:
    tmp = tmp_path_factory.mktemp("typed")
    root = tmp / "lib"
    root.mkdir()
    for i, rgb in enumerate([(200, 20, 20), (20, 20, 200), (20, 200, 20)]):
        Image.new("RGB", (40, 30), rgb).save(root / f"{i}.png")
    config = Settings(home=tmp / "home", batch_size=4, search_cutoff=0.0)
    models = FakeModels()
    with Store(config.home) as store:
        Indexer(store, models, config).run([root])
        yield SearchService(store, models, config)


@PROPERTY
@given(text=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=80))
def test_any_printable_string_gives_a_page_or_says_why(service: SearchService, text: str) -> None:
    try:
        page = service.search(text, SearchOptions(limit=5, allow_paths=False))
    except QueryError as exc:
        assert str(exc)  # one sentence naming the problem (422)
        return
    assert page.total >= 0


@PROPERTY
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=8),
    quoted=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    at=st.integers(0, 8),
    stray=st.sampled_from(["", '"', ' " ', "#", "%", "+", " AND ", "(", "*"]),
)
def test_sentences_with_quotes_always_give_a_page(
    service: SearchService, words: list[str], quoted: list[str], at: int, stray: str
) -> None:
    parts = [*words[:at], '"' + " ".join(quoted) + '"', *words[at:]]
    text = " ".join(parts) + stray
    page = service.search(text, SearchOptions(limit=5, allow_paths=False))
    assert page.total >= 0


def test_a_quoted_phrase_reaches_the_words_channel_exactly(service: SearchService) -> None:
    page = service.search('a sign that says "OPEN" in red', SearchOptions(limit=5))
    assert page.weights["words"] > 0  # ran, and found no caption with that phrase

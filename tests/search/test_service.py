"""Hybrid search with fake models: channels, filters before the cut, pages, explanations."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.indexer import Indexer
from picsift.indexer.text_vectors import sync_text_vectors
from picsift.search import Filters, QueryError, SearchOptions, SearchService
from picsift.store import USER_CAPTION_SPACE, Store
from picsift.store.filters import FilterError
from tests.fakes import FakeModels
from tests.store.memory import MemoryStore

COLOURS = {"red": (220, 40, 40), "blue": (40, 70, 220), "green": (40, 180, 60)}


@pytest.fixture(params=["sqlite", "memory"])
def library(tmp_path: Path, request: pytest.FixtureRequest):
    root = tmp_path / "lib"
    for name, rgb in COLOURS.items():
        (root / name).mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (40 + i, 30), rgb).save(root / name / f"{name}{i}.png")
    old = root / "red" / "red0.png"
    os.utime(old, (1_500_000_000, 1_500_000_000))  # 2017
    settings = Settings(home=tmp_path / "home", batch_size=4, search_cutoff=0.0)
    models = FakeModels()
    store = Store(settings.home)
    Indexer(store, models, settings).run([root])
    ports = store if request.param == "sqlite" else MemoryStore(store)
    yield store, SearchService(ports, models, settings), root, models
    store.close()


def _names(page) -> list[str]:
    return [Path(h.path).stem for h in page.hits]


def test_clip_channel_finds_the_colour(library) -> None:
    _, service, _, _ = library
    page = service.search("red", SearchOptions(limit=4, weights={"clip": 1.0}))
    assert sorted(_names(page)) == ["red0", "red1", "red2", "red3"]
    assert all(h.channels["clip"]["rank"] >= 1 for h in page.hits)


def test_words_channel_alone_loads_no_model(library) -> None:
    store, _, _, models = library

    class NoModels(FakeModels):
        def embedder(self):  # type: ignore[override]
            raise AssertionError("words-only search must not load the image model")

        def text_embedder(self):  # type: ignore[override]
            raise AssertionError("words-only search must not load the text model")

    service = SearchService(store, NoModels(models.preset), Settings(home=store.home))
    page = service.search("mostly green", SearchOptions(limit=3, weights={"words": 1.0}))
    assert len(page.hits) == 3 and all(n.startswith("green") for n in _names(page))
    assert set(page.hits[0].channels) == {"words"}


def test_filters_apply_before_the_cut_so_pages_are_full(library) -> None:
    _, service, root, _ = library
    only_blue = Filters(folders=(str(root / "blue"),))
    page = service.search("red", SearchOptions(limit=4, filters=only_blue, cutoff=0.0))
    assert sorted(_names(page)) == ["blue0", "blue1", "blue2", "blue3"]
    recent = Filters(after="2020-01-01")
    names = _names(service.search("red", SearchOptions(limit=20, filters=recent, cutoff=0.0)))
    assert "red0" not in names and "red1" in names
    assert service.search("red", SearchOptions(filters=Filters(formats=("jpeg",)))).hits == []
    wide = _names(service.search("red", SearchOptions(limit=20, filters=Filters(min_width=43))))
    assert wide and all(n.endswith("3") for n in wide)


def test_pages_are_consistent(library) -> None:
    _, service, _, _ = library
    whole = _names(service.search("red", SearchOptions(limit=12, cutoff=0.0)))
    second = _names(service.search("red", SearchOptions(limit=4, offset=4, cutoff=0.0)))
    assert second == whole[4:8]


def test_arithmetic_and_similar(library) -> None:
    store, service, root, _ = library
    red0 = store.catalog.rows_under(str(root))[str(root / "red" / "red0.png")]
    page = service.similar(red0.id, SearchOptions(limit=3, weights={"clip": 1.0}))
    assert red0.id not in [h.id for h in page.hits]
    assert all(n.startswith("red") for n in _names(page))
    mixed = service.search(
        f'#{red0.id} - "red" + "blue"', SearchOptions(limit=2, weights={"clip": 1.0})
    )
    assert all(n.startswith("blue") for n in _names(mixed))


def test_near_duplicates_are_flagged(library) -> None:
    _, service, _, _ = library
    hits = service.search("red", SearchOptions(limit=4, weights={"clip": 1.0})).hits
    assert hits[0].duplicate_of is None
    assert all(h.duplicate_of == hits[0].id for h in hits[1:])


def test_people_captions_are_searchable_and_selectable(library) -> None:
    store, service, root, models = library
    path = str(root / "green" / "green2.png")
    store.catalog.set_user_captions({path: "a kayak on a mountain lake"}, USER_CAPTION_SPACE)
    sync_text_vectors(store.catalog, models)
    for weights in ({"words": 1.0}, {"caption": 1.0}):
        page = service.search(
            "kayak lake", SearchOptions(limit=1, weights=weights, sources=("user",))
        )
        assert page.hits[0].path == path and page.hits[0].user_caption


def test_bad_requests_are_query_errors(library) -> None:
    _, service, _, _ = library
    with pytest.raises(QueryError, match="unknown channels"):
        service.search("red", SearchOptions(weights={"nope": 1.0}))
    with pytest.raises(QueryError, match="offset"):
        service.search("red", SearchOptions(limit=10, offset=10_000))
    with pytest.raises(QueryError, match="image paths are not accepted"):
        service.search('"red" + ./x.jpg', SearchOptions(allow_paths=False))
    with pytest.raises(PicsiftError, match="no image with id"):
        service.similar(99_999)


def test_prepared_queries_are_encoded_in_batches_then_found_in_the_cache(library) -> None:
    _, service, _, models = library
    queries = [f"mostly red number {i}" for i in range(40)] + ['a "b', "x" * 3000]
    options = SearchOptions(limit=3, weights={"clip": 1.0, "caption": 1.0})
    calls = {"clip": 0, "caption": 0}
    clip_forward, caption_forward = (
        models.embedder()._forward_texts,
        models.text_embedder()._forward_texts,
    )

    def count(name, forward):
        def wrapped(batch):
            calls[name] += 1
            return forward(batch)

        return wrapped

    models.embedder()._forward_texts = count("clip", clip_forward)
    models.text_embedder()._forward_texts = count("caption", caption_forward)
    assert service.prepare(queries, options) == 41  # the over-long query is skipped
    assert calls == {"clip": 1, "caption": 1}
    for query in queries[:40]:
        assert service.search(query, options).hits
    assert calls == {"clip": 1, "caption": 1}  # every search found its vectors prepared


def test_structure_filters_match_exactly_the_stored_facets(library) -> None:
    store, service, root, _ = library
    rows = store.catalog.rows_under(str(root))
    ids = {Path(p).stem: r.id for p, r in rows.items()}

    def depth(shot: str) -> dict:
        return {"near": 0.3, "middle": 0.4, "far": 0.3, "shot": shot}

    def people(count: int) -> dict:
        return {"count": count, "people": []}

    def regions(*labels: str) -> dict:
        return {"regions": [{"label": label, "share": 0.2} for label in labels]}

    stored = {
        "red1": {"people": people(0), "depth": depth("wide")},
        "red2": {"people": people(3), "regions": regions("sea")},
        "blue1": {"people": people(2), "depth": depth("close-up")},
        "blue2": {"regions": regions("window", "sea")},
    }
    store.catalog.set_facets(
        [(ids[name], json.dumps(facets), None, None) for name, facets in stored.items()]
    )

    def names(**filters) -> set[str]:
        page = service.search(
            "red", SearchOptions(limit=20, cutoff=0.0, filters=Filters(**filters))
        )
        return set(_names(page))

    assert names(people="0") == {"red1"}
    assert names(people="2-4") == {"red2", "blue1"}
    assert names(people="3+") == {"red2"}
    assert names(regions=("Sea",)) == {"red2", "blue2"}
    assert names(shots=("wide", "close-up")) == {"red1", "blue1"}
    assert names(people="2-4", regions=("sea",)) == {"red2"}
    for bad in ("two", "4-2", "-1"):
        with pytest.raises(FilterError, match="people"):
            names(people=bad)
    with pytest.raises(FilterError, match="shot"):
        names(shots=("huge",))

"""Tags at indexing time: stored, searchable, filterable, and recomputed from stored vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from picsift.config import Settings
from picsift.describe.vocabularies import VocabularyError
from picsift.indexer import Indexer
from picsift.indexer.refacet import recompute_facets
from picsift.search import SearchOptions, SearchService
from picsift.store import Store
from picsift.store.filters import Filters
from tests.fakes import FakeModels


def _library(root: Path) -> None:
    root.mkdir()
    for name, rgb in (("r", (220, 40, 40)), ("b", (40, 70, 220)), ("g", (40, 180, 60))):
        Image.new("RGB", (120, 90), rgb).save(root / f"{name}.png")


def _settings(tmp_path: Path, vocabulary: str, **kw: object) -> Settings:
    home = tmp_path / "home"
    (home / "vocabularies").mkdir(parents=True, exist_ok=True)
    (home / "vocabularies" / "paint.txt").write_text(vocabulary)
    return Settings(home=home, tag_vocabularies=["paint"], **kw)  # type: ignore[arg-type]


def test_tags_are_stored_searchable_and_filterable(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    _library(root)
    settings = _settings(tmp_path, "#: threshold = 0.5\nred paint\nblue paint\n")
    models = FakeModels()
    with Store(settings.home) as store:
        Indexer(store, models, settings).run([root])
        facets = dict(store.catalog._read("SELECT path, facets FROM images").fetchall())
        assert json.loads(facets[str(root / "r.png")])["tags"] == ["red paint"]
        assert json.loads(facets[str(root / "g.png")])["tags"] == []  # no label fits
        search = SearchService(store, models, settings)
        words = SearchOptions(weights={"words": 1.0}, cutoff=0.0)
        assert [Path(h.path).name for h in search.search("paint", words).hits] == ["b.png", "r.png"]
        only_blue = SearchOptions(cutoff=0.0, filters=Filters(tags=("Blue Paint",)))
        assert [Path(h.path).name for h in search.search("anything", only_blue).hits] == ["b.png"]


def test_a_new_vocabulary_retags_from_stored_vectors(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    _library(root)
    settings = _settings(tmp_path, "#: threshold = 0.5\nred paint\n")
    models = FakeModels()
    with Store(settings.home) as store:
        Indexer(store, models, settings).run([root])
        for f in root.iterdir():  # tags need no file: only the stored vectors
            f.unlink()
        (settings.home / "vocabularies" / "paint.txt").write_text("#: threshold = .5\ngreen ink\n")
        done, failed = recompute_facets(store, settings, ["tags"], models)
        assert (done, failed) == (3, [])
        stored = {
            Path(p).name: json.loads(f)
            for p, f in store.catalog._read("SELECT path, facets FROM images").fetchall()
        }
        assert stored["g.png"]["tags"] == ["green ink"] and stored["r.png"]["tags"] == []
        assert stored["g.png"]["colours"]["palette"]  # the other facets are kept as stored
        words = dict(store.catalog._read("SELECT path, tags FROM images").fetchall())
        assert "green ink" in words[str(root / "g.png")]


def test_a_bad_vocabulary_stops_indexing_before_any_work(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    _library(root)
    settings = _settings(tmp_path, "#: threshold = loud\nred paint\n")
    with Store(settings.home) as store:
        with pytest.raises(VocabularyError, match=r"paint\.txt:1: 'threshold' must be a number"):
            Indexer(store, FakeModels(), settings).run([root])
        assert store.catalog.counts() == {} or sum(store.catalog.counts().values()) == 0

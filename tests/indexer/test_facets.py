"""Facets computed at indexing time: stored, and their words searchable."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.search import SearchOptions, SearchService
from picsift.store import Store
from tests.fakes import FakeModels


def _library(root: Path) -> None:
    root.mkdir()
    Image.new("RGB", (300, 200), (20, 40, 200)).save(root / "blue.png")
    sign = Image.new("RGB", (520, 160), "white")
    font = ImageFont.load_default(size=40)
    ImageDraw.Draw(sign).text((30, 50), "Grand Hotel Lobby", fill="black", font=font)
    sign.save(root / "sign.png")


def test_facets_are_stored_and_their_words_searchable(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    _library(root)
    settings = Settings(home=tmp_path / "home", index_facets=["colours", "composition", "text"])
    models = FakeModels()
    with Store(settings.home) as store:
        Indexer(store, models, settings).run([root])
        facets, tags, text = store.catalog._read(
            "SELECT facets, tags, ocr_text FROM images WHERE path = ?", (str(root / "sign.png"),)
        )[0]
        assert json.loads(facets)["composition"]["orientation"] == "landscape"
        assert "landscape" in tags and "hotel" in text.lower()
        search = SearchService(store, models, settings)
        words = SearchOptions(weights={"words": 1.0}, cutoff=0.0)
        assert Path(search.search("hotel lobby", words).hits[0].path).name == "sign.png"
        blue = store.catalog._read(
            "SELECT tags FROM images WHERE path = ?", (str(root / "blue.png"),)
        )[0][0]
        assert "blue" in blue


def test_without_text_facet_no_ocr_runs(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    _library(root)
    settings = Settings(home=tmp_path / "home")  # default: colours, composition
    with Store(settings.home) as store:
        Indexer(store, FakeModels(), settings).run([root])
        rows = store.catalog._read("SELECT tags, ocr_text FROM images")
        assert all(text is None for _, text in rows) and all(tags for tags, _ in rows)


def test_facets_can_be_recomputed_without_models(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from picsift.cli import app

    root = tmp_path / "lib"
    _library(root)
    settings = Settings(home=tmp_path / "home", index_facets=[])
    with Store(settings.home) as store:
        Indexer(store, FakeModels(), settings).run([root])
        assert all(f is None for (f,) in store.catalog._read("SELECT facets FROM images"))
    runner = CliRunner()
    home = ["--home", str(settings.home)]
    result = runner.invoke(app, ["facets", "--names", "colours,composition", *home, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "updated": 2,
        "facets": ["colours", "composition"],
        "errors": [],
    }
    with Store(settings.home) as store:
        rows = store.catalog._read("SELECT facets, tags FROM images")
        assert all(f and t for f, t in rows)
    bad = runner.invoke(app, ["facets", "--names", "sparkle", *home])
    assert bad.exit_code == 2 and "unknown facets" in bad.stderr

"""The structure facets' maps: stored beside the facets at indexing, replaced by a recompute
of their facet and kept by a recompute of another, copied to byte-identical files, gone with
their image, served as PNG."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.indexer.refacet import recompute_facets
from picsift.store import Store
from tests.fakes import FakeModels


def _library(root: Path) -> None:
    root.mkdir(parents=True)
    image = Image.new("RGB", (80, 60), (20, 20, 20))
    ImageDraw.Draw(image).rectangle((10, 10, 70, 30), fill=(250, 250, 250))
    image.save(root / "room.png")


def test_maps_are_stored_recomputed_copied_and_deleted(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    _library(root)
    facets = ["colours", "depth", "regions", "edges"]
    settings = Settings(home=tmp_path / "home", index_facets=facets)
    models = FakeModels()
    with Store(settings.home) as store:
        Indexer(store, models, settings).run([root])
        (row,) = store.images.analysed_rows()
        assert store.images.map_names(row.id) == ["depth", "edges", "regions"]
        depth = Image.open(io.BytesIO(store.images.facet_map(row.id, "depth") or b""))
        assert depth.size == (64, 64) and depth.mode == "L"
        assert depth.getpixel((32, 5)) == 0 and depth.getpixel((32, 30)) == 255  # white = near
        regions = Image.open(io.BytesIO(store.images.facet_map(row.id, "regions") or b""))
        assert regions.mode == "P" and set(np.unique(np.asarray(regions))) == {0, 1}  # wall, window
        before = store.images.facet_map(row.id, "regions")

        done, failed = recompute_facets(store, settings, ["colours"], models)
        assert done == 1 and not failed
        assert store.images.facet_map(row.id, "regions") == before  # kept
        done, _ = recompute_facets(store, settings, ["depth"], models)
        assert done == 1 and store.images.facet_map(row.id, "depth") is not None

        shutil.copy(root / "room.png", root / "copy.png")
        Indexer(store, models, settings).run([root])
        copy = store.images.rows_under(str(root / "copy.png"))[str(root / "copy.png")]
        assert store.images.map_names(copy.id) == ["depth", "edges", "regions"]

        (root / "room.png").unlink()
        Indexer(store, models, settings).run([root])
        assert store.images.map_names(row.id) == []


def test_maps_are_served_as_png(tmp_path: Path) -> None:
    from picsift.app import create_app

    root = tmp_path / "lib"
    _library(root)
    home = tmp_path / "home"
    settings = Settings(home=home, index_facets=["depth"], preload_models=False)
    with Store(home) as store:
        Indexer(store, FakeModels(), settings).run([root])
        (row,) = store.images.analysed_rows()
    app = create_app(settings, models=FakeModels())
    with TestClient(app) as client:
        got = client.get(f"/images/{row.id}/maps/depth")
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(got.content)).size == (64, 64)
        missing = client.get(f"/images/{row.id}/maps/regions")
        assert missing.status_code == 404 and "has no 'regions' map" in missing.text
        assert client.get(f"/images/{row.id}/maps/..%2Fx").status_code in (404, 422)
        page = client.get(f"/ui/images/{row.id}")
        assert page.status_code == 200 and 'data-map="depth"' in page.text

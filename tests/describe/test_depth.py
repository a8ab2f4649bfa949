"""The depth facet: shares of near, middle and far, the shot scale, objects in front and at
the back; with a fake depth model (exact), and the tiny preset through the real loading code
(mechanics only: random weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from picsift.config import Settings
from picsift.describe.facets import FACETS
from picsift.describe.facets.depth import depth_facet, shares, shot_of
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.describe.model import DetectedObject
from picsift.describe.templates import TemplateRenderer
from picsift.indexer import Indexer
from picsift.indexer.facets import stored_description
from picsift.models.presets import PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.store import Store
from tests.fakes import FakeModels


def _gradient(side: int = 64) -> np.ndarray:
    """Far at the top, near at the bottom (0 .. 1 down the rows)."""
    return np.repeat(np.linspace(0.0, 1.0, side, dtype=np.float32)[:, None], side, axis=1)


def test_shares_and_shot_scale() -> None:
    near, middle, far = shares(_gradient())
    assert abs(near - 1 / 3) < 0.03 and abs(far - 1 / 3) < 0.03
    assert abs(near + middle + far - 1.0) < 1e-3
    assert shot_of(near=0.6, far=0.05) == "close-up"
    assert shot_of(near=0.2, far=0.5) == "wide"
    assert shot_of(near, far) == "medium"


def test_objects_are_placed_in_front_or_at_the_back() -> None:
    bed = DetectedObject(label="bed", box=(0.1, 0.8, 0.9, 1.0), position="bottom")
    window = DetectedObject(label="window", box=(0.3, 0.0, 0.7, 0.2), position="top")
    lamp = DetectedObject(label="lamp", box=(0.4, 0.45, 0.5, 0.55), position="centre")
    facet = depth_facet(_gradient(), [bed, window, lamp])
    assert facet.foreground == ["bed"] and facet.background == ["window"]


def test_the_facet_runs_with_a_fake_model_and_reads_in_the_paragraph() -> None:
    # brightness is the fake's depth: a white lower half is near, a black upper half far
    image = Image.new("RGB", (80, 80), "black")
    image.paste((255, 255, 255), (0, 40, 80, 80))
    runner = FacetRunner(FacetTools(Settings(), FakeModels()))
    (described,) = runner.batched([runner.per_image(image, ["depth"])], [image], ["depth"])
    depth = described.depth  # type: ignore[attr-defined]
    assert depth.near == 0.5 and depth.far == 0.5 and depth.shot == "wide"
    labels, _ = FACETS.words(described)
    assert labels is not None and "wide" in labels.split()
    text = TemplateRenderer().render("paragraph", described)
    assert "By depth it is a wide shot." in text


def test_depth_is_opt_in_and_stored_by_the_indexer(tmp_path: Path) -> None:
    assert "depth" not in FACETS.defaults("index") and "depth" not in FACETS.defaults("describe")
    root = tmp_path / "lib"
    root.mkdir()
    Image.new("RGB", (40, 30), "white").save(root / "flat.png")
    settings = Settings(home=tmp_path / "home", index_facets=["colours", "depth"])
    with Store(settings.home) as store:
        Indexer(store, FakeModels(), settings).run([root])
        (row,) = store.images.analysed_rows()
        stored = stored_description(store.images.facets_of(row.id))
    assert stored.depth is not None and stored.depth.shot in ("close-up", "medium", "wide")  # type: ignore[attr-defined]


def test_tiny_depth_through_the_real_loading_code(tiny_env: Path, tmp_path: Path) -> None:
    """Mechanics only: random weights, so the maps mean nothing."""
    settings = Settings(home=tmp_path / "home", models_dir=tiny_env)
    provider = ModelProvider(settings, PresetCatalog(settings.home / "p.toml").preset("tiny"))
    estimator = provider.depth()
    assert provider.depth() is estimator  # loaded once
    maps = estimator.estimate([Image.new("RGB", (120, 90), "grey"), Image.new("RGB", (50, 70))], 64)
    assert [m.shape for m in maps] == [(64, 64), (64, 64)]
    assert all(m.dtype == np.float32 and m.min() >= 0.0 and m.max() <= 1.0 for m in maps)

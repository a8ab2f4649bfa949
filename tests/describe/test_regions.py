"""The regions facet: each class's share, merged by readable name, words for the big ones;
with a fake segmenter (exact) and the tiny preset through the real loading code (mechanics
only: random weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from picsift.config import Settings
from picsift.describe.facets import FACETS
from picsift.describe.facets.regions import readable, regions_of
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.describe.templates import TemplateRenderer
from picsift.models.presets import PresetCatalog
from picsift.models.provider import ModelProvider
from tests.fakes import FakeModels


def test_shares_are_merged_by_readable_name_and_small_ones_dropped() -> None:
    labels = ["wall", "windowpane, window", "window", "sky", "lamp"]
    classes = np.zeros((100, 100), np.int32)
    classes[:20] = 1  # windowpane 20%
    classes[20:30] = 2  # window 10%: one "window" of 30%
    classes[30:35] = 3  # sky 5%
    classes[35, :50] = 4  # lamp 0.5%: left out
    found = regions_of(classes, labels).regions
    assert [(r.label, r.share) for r in found] == [("wall", 0.645), ("window", 0.3), ("sky", 0.05)]
    assert readable("Palm, palm tree") == "palm"


def test_the_facet_runs_with_a_fake_segmenter_and_reads_in_the_paragraph() -> None:
    image = Image.new("RGB", (60, 60), (20, 20, 20))  # wall
    image.paste((250, 250, 250), (0, 0, 60, 20))  # a third window
    runner = FacetRunner(FacetTools(Settings(), FakeModels()))
    (described,) = runner.batched([runner.per_image(image, ["regions"])], [image], ["regions"])
    regions = described.regions.regions  # type: ignore[attr-defined]
    assert [r.label for r in regions] == ["wall", "window"]
    assert abs(regions[1].share - 1 / 3) < 0.02
    labels, _ = FACETS.words(described)
    assert labels is not None and {"wall", "window"} <= set(labels.split())
    assert "Wall and window fill 100% of the picture." in TemplateRenderer().render(
        "paragraph", described
    )
    assert "regions" not in FACETS.defaults("index")


def test_tiny_segmenter_through_the_real_loading_code(tiny_env: Path, tmp_path: Path) -> None:
    """Mechanics only: random weights, so which class wins means nothing."""
    settings = Settings(home=tmp_path / "home", models_dir=tiny_env)
    provider = ModelProvider(settings, PresetCatalog(settings.home / "p.toml").preset("tiny"))
    segmenter = provider.segmenter()
    assert provider.segmenter() is segmenter and "sky" in segmenter.labels
    maps = segmenter.segment([Image.new("RGB", (120, 90), "blue"), Image.new("RGB", (40, 70))], 64)
    assert [m.shape for m in maps] == [(64, 64), (64, 64)]
    assert all(m.min() >= 0 and m.max() < len(segmenter.labels) for m in maps)
    found = regions_of(maps[0], segmenter.labels)
    assert abs(sum(r.share for r in found.regions) - 1.0) < 0.1

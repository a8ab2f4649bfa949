from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from picsift.describe.facets import FACETS, compute_facets
from picsift.describe.facets.colour_space import colour_table, lab_to_srgb, srgb_to_lab
from picsift.describe.facets.colours import colour_facet


def _red_square_on_white() -> Image.Image:
    img = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(img).rectangle([100, 75, 299, 224], fill=(255, 0, 0))  # 200x150 = 25%
    return img


def test_red_square_on_white_gives_red_and_white_with_area_shares() -> None:
    facet = colour_facet(_red_square_on_white())
    shares = {c.name: c.share for c in facet.palette}
    assert set(shares) == {"white", "red"}
    assert shares["white"] == pytest.approx(0.75, abs=0.03)
    assert shares["red"] == pytest.approx(0.25, abs=0.03)
    assert facet.palette[0].name == "white"  # largest share first
    assert sum(shares.values()) == pytest.approx(1.0)
    assert all(c.hex.startswith("#") and len(c.hex) == 7 for c in facet.palette)


def test_dark_image_has_low_brightness_and_bright_image_high() -> None:
    dark = colour_facet(Image.new("RGB", (200, 200), (15, 12, 20)))
    light = colour_facet(Image.new("RGB", (200, 200), (245, 245, 240)))
    assert dark.brightness < 0.1
    assert light.brightness > 0.9
    assert dark.contrast == pytest.approx(0.0, abs=1e-6)


def test_grey_image_is_colourless_and_a_vivid_one_is_not() -> None:
    grey = colour_facet(Image.new("RGB", (120, 80), (128, 128, 128)))
    assert grey.colourfulness == pytest.approx(0.0, abs=0.5)
    assert [c.name for c in grey.palette] == ["grey"]
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    assert colour_facet(Image.fromarray(noise, "RGB")).colourfulness > 50


def test_contrast_of_black_and_white_halves_is_high() -> None:
    img = Image.new("RGB", (100, 100), "black")
    ImageDraw.Draw(img).rectangle([0, 0, 49, 99], fill="white")
    facet = colour_facet(img)
    assert facet.contrast > 0.9
    assert {c.name for c in facet.palette} == {"black", "white"}


def test_near_identical_shades_merge_into_one_colour() -> None:
    arr = np.zeros((64, 64, 3), dtype=np.uint8)
    arr[:, :32] = (200, 30, 30)
    arr[:, 32:] = (205, 33, 31)  # delta E well under 8
    facet = colour_facet(Image.fromarray(arr, "RGB"))
    assert len(facet.palette) == 1
    assert facet.palette[0].name == "red"


def test_palette_is_deterministic() -> None:
    rng = np.random.default_rng(3)
    img = Image.fromarray(rng.integers(0, 256, size=(90, 70, 3), dtype=np.uint8), "RGB")
    assert colour_facet(img) == colour_facet(img)


def test_lab_round_trip_and_reference_values() -> None:
    rgb = np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0], [12, 200, 90]], dtype=float)
    lab = srgb_to_lab(rgb)
    assert lab[0] == pytest.approx([100.0, 0.0, 0.0], abs=0.05)
    assert lab[1] == pytest.approx([0.0, 0.0, 0.0], abs=0.05)
    assert lab[2] == pytest.approx([53.24, 80.09, 67.20], abs=0.1)
    assert lab_to_srgb(lab) == pytest.approx(rgb, abs=0.01)


def test_colour_table_is_shipped_and_named() -> None:
    table = colour_table()
    assert 120 <= len(table.css_names) <= 160
    assert table.nearest(srgb_to_lab(np.array([0.0, 0.0, 120.0])))[0] in {"navy", "dark blue"}


def test_compute_facets_runs_registry_and_records_failures() -> None:
    assert {"colours", "composition"} <= set(FACETS)
    desc = compute_facets(_red_square_on_white(), caption="a red square")
    assert desc.colours is not None and desc.composition is not None
    assert desc.facets_missing == {}
    partial = compute_facets(_red_square_on_white(), ["colours", "nope"])
    assert partial.composition is None
    assert set(partial.facets_missing) == {*FACETS.image_only(), "nope"} - {"colours"}

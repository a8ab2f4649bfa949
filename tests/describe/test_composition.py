from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from picsift.describe.facets import Description
from picsift.describe.facets.composition import composition_facet, position_label


def test_horizontal_stripe_is_landscape_with_label() -> None:
    facet = composition_facet(Image.new("RGB", (1600, 900), "grey"))
    assert facet.orientation == "landscape"
    assert facet.aspect_label == "16:9"
    assert composition_facet(Image.new("RGB", (300, 400))).orientation == "portrait"
    assert composition_facet(Image.new("RGB", (300, 400))).aspect_label == "3:4"
    square = composition_facet(Image.new("RGB", (500, 501)))
    assert square.orientation == "square" and square.aspect_label == "1:1"
    assert composition_facet(Image.new("RGB", (1000, 370))).aspect_label is None


def test_bright_subject_on_the_left_of_a_dark_image() -> None:
    img = Image.new("RGB", (600, 400), (12, 12, 12))
    ImageDraw.Draw(img).ellipse([40, 150, 140, 250], fill=(250, 240, 220))
    facet = composition_facet(img)
    assert "left" in facet.subject_position
    x0, y0, x1, y1 = facet.subject_box
    assert 0.0 <= x0 < x1 <= 0.4 and 0.0 <= y0 < y1 <= 1.0
    assert facet.framing == "wide"


def test_subject_on_the_right_and_a_frame_filling_subject() -> None:
    img = Image.new("RGB", (600, 400), (12, 12, 12))
    ImageDraw.Draw(img).rectangle([460, 40, 560, 120], fill=(250, 250, 250))
    assert composition_facet(img).subject_position == "top right"
    big = Image.new("RGB", (400, 400), (0, 0, 0))
    ImageDraw.Draw(big).rectangle([20, 20, 380, 380], fill=(200, 50, 50))
    assert composition_facet(big).framing == "close-up"


def test_blurred_image_is_less_sharp_than_the_original() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, size=(48, 64), dtype=np.uint8)
    sharp = Image.fromarray(base, "L").resize((640, 480), Image.Resampling.NEAREST).convert("RGB")
    blurred = sharp.filter(ImageFilter.GaussianBlur(6))
    s, b = composition_facet(sharp), composition_facet(blurred)
    assert b.sharpness < s.sharpness
    assert s.blur_label == "sharp"
    assert b.blur_label in {"soft", "blurry"}


def test_uniform_image_has_a_full_centred_box() -> None:
    facet = composition_facet(Image.new("RGB", (200, 100), "white"))
    assert facet.subject_box == (0.0, 0.0, 1.0, 1.0)
    assert facet.subject_position == "centre"
    assert facet.blur_label == "blurry"


def test_position_grid() -> None:
    assert position_label((0.0, 0.0, 0.2, 0.2)) == "top left"
    assert position_label((0.4, 0.4, 0.6, 0.6)) == "centre"
    assert position_label((0.8, 0.4, 1.0, 0.6)) == "middle right"
    assert position_label((0.4, 0.8, 0.6, 1.0)) == "bottom centre"


def test_description_schema_is_usable() -> None:
    schema = Description.model_json_schema()
    assert {"caption", "colours", "composition", "tags", "facets_missing"} <= set(
        schema["properties"]
    )
    assert "ColourFacet" in schema["$defs"] and "CompositionFacet" in schema["$defs"]

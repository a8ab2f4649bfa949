"""The edges facet: outline share and straight lines by direction, on drawn pictures."""

from __future__ import annotations

from PIL import Image, ImageDraw

from picsift.describe.facets import FACETS, compute_facets
from picsift.describe.facets.edges import edges_facet


def test_a_drawn_frame_has_horizontal_and_vertical_lines() -> None:
    image = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(image).rectangle((60, 50, 340, 250), outline="black", width=4)
    facet = edges_facet(image)
    assert facet.horizontal >= 2 and facet.vertical >= 2 and facet.diagonal == 0
    assert facet.lines == facet.horizontal + facet.vertical
    assert 0.0 < facet.density < 0.1


def test_a_diagonal_and_a_blank_picture() -> None:
    image = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(image).line((10, 10, 246, 246), fill="black", width=3)
    assert edges_facet(image).diagonal >= 1
    blank = edges_facet(Image.new("RGB", (64, 64), "grey"))
    assert blank.density == 0.0 and blank.lines == 0


def test_edges_are_opt_in_and_not_search_words() -> None:
    assert "edges" not in FACETS.defaults("index")
    image = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(image).rectangle((20, 20, 180, 180), outline="black", width=3)
    described = compute_facets(image, ["edges"])
    assert described.edges is not None  # type: ignore[attr-defined]
    assert FACETS.words(described) == (None, None)

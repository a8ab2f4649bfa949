"""Facets computed at indexing time, in the decode workers, and the words they make searchable.

The cheap facets (colours, composition) cost milliseconds and need no model, so every image
gets them; reading text (OCR) is opt-in through ``PICSIFT_INDEX_FACETS``. The JSON is stored
so descriptions can be rendered later without the image, and the derived words (colour names,
framing, text in the image) go into the full-text index the words channel searches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from picsift.describe.facets import compute_facets
from picsift.describe.model import Description
from picsift.describe.ocr import OcrReader

MIN_COLOUR_SHARE = 0.1  # colours covering less of the image are not worth a search word


@dataclass(frozen=True)
class FacetResult:
    json: str
    tags: str | None
    ocr_text: str | None


def searchable_words(description: Description) -> str | None:
    words: list[str] = []
    if description.colours is not None:
        words += [c.name for c in description.colours.palette if c.share >= MIN_COLOUR_SHARE]
    if description.composition is not None:
        comp = description.composition
        words += [comp.orientation, comp.framing, comp.blur_label]
    words += list(description.tags)
    unique = list(dict.fromkeys(w for w in words if w))
    return " ".join(unique) or None


def index_facets(
    image: Image.Image, names: Sequence[str], ocr: OcrReader | None = None
) -> FacetResult | None:
    """The configured facets of one image; never raises (a failing facet is recorded)."""
    cheap = [n for n in names if n != "text"]
    if not names:
        return None
    description = compute_facets(image, cheap)
    text = None
    if "text" in names and ocr is not None:
        text = ocr.read(image)
        description = description.model_copy(update={"text": text})
    return FacetResult(description.model_dump_json(), searchable_words(description), text)

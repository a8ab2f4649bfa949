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

from picsift.describe.facets import FACETS, compute_facets
from picsift.describe.model import Description
from picsift.describe.ocr import OcrReader

MIN_COLOUR_SHARE = 0.1  # colours covering less of the image are not worth a search word


@dataclass(frozen=True)
class FacetResult:
    """What the decode workers computed; model facets are added before the commit."""

    description: Description
    ocr_text: str | None

    @property
    def json(self) -> str:
        return self.description.model_dump_json()

    @property
    def tags(self) -> str | None:
        return searchable_words(self.description)


def searchable_words(description: Description) -> str | None:
    words: list[str] = []
    if description.colours is not None:
        words += [c.name for c in description.colours.palette if c.share >= MIN_COLOUR_SHARE]
    if description.composition is not None:
        comp = description.composition
        words += [comp.orientation, comp.framing, comp.blur_label]
    words += list(description.tags)
    words += list(description.object_counts)
    unique = list(dict.fromkeys(w for w in words if w))
    return " ".join(unique) or None


def index_facets(
    image: Image.Image, names: Sequence[str], ocr: OcrReader | None = None
) -> FacetResult | None:
    """The model-free facets of one image; never raises (a failing facet is recorded)."""
    if not names:
        return None
    cheap = [n for n in names if n in FACETS]
    description = compute_facets(image, cheap)
    text = None
    if "text" in names and ocr is not None:
        text = ocr.read(image)
        description = description.model_copy(update={"text": text})
    return FacetResult(description, text)


def stored_description(facets_json: str | None) -> Description:
    """The stored facets, or an empty description when there are none (or they are unreadable:
    they are recomputed, never trusted half-parsed)."""
    if facets_json:
        try:
            return Description.model_validate_json(facets_json)
        except ValueError:
            pass
    return Description()


def merge_facets(stored: Description, fresh: Description, names: Sequence[str]) -> Description:
    """``stored`` with the facets in ``names`` taken from ``fresh``: recomputing colours must
    not drop the tags or text an earlier run stored."""
    fields: dict[str, object] = {}
    for name in names:
        for field in FACET_FIELDS.get(name, (name,)):
            fields[field] = getattr(fresh, field)
    missing = {k: v for k, v in stored.facets_missing.items() if k not in names}
    missing |= {k: v for k, v in fresh.facets_missing.items() if k in names}
    return stored.model_copy(update=fields | {"facets_missing": missing})


# Description fields each facet owns (a facet not listed owns the field of its own name).
FACET_FIELDS: dict[str, tuple[str, ...]] = {
    "tags": ("tags", "tag_scores"),
    "objects": ("objects", "object_counts"),
}

"""Facets computed at indexing time, and the words they make searchable.

Which facets run is ``PICSIFT_INDEX_FACETS`` (default: each facet's own choice, in the
registry). Those that need only the image run in the decode workers; those that need the
models run on the batch. The JSON is stored so descriptions can be rendered later without
the image, and the derived words (colour names, framing, tags, text in the image) go into
the full-text index the words channel searches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from PIL import Image

from picsift.config import Settings
from picsift.describe.facets import FACETS, Description
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.model import DescriptionBase


def index_facet_names(settings: Settings) -> list[str]:
    """The facets indexing computes: the setting's, or each facet's default."""
    return FACETS.chosen(settings.index_facets, "index")


@dataclass(frozen=True)
class FacetResult:
    """An image's facets; its search words come from the registry."""

    description: DescriptionBase

    @property
    def json(self) -> str:
        return self.description.model_dump_json()

    @property
    def maps(self) -> dict[str, bytes]:
        """The structure facets' maps (PNG bytes by name), stored beside the JSON."""
        return self.description.maps

    @cached_property
    def _words(self) -> tuple[str | None, str | None]:
        return FACETS.words(self.description)

    @property
    def tags(self) -> str | None:
        """Label words (colour names, framing, tags, objects)."""
        return self._words[0]

    @property
    def ocr_text(self) -> str | None:
        """Text read in the image."""
        return self._words[1]


def index_facets(
    image: Image.Image, names: Sequence[str], runner: FacetRunner
) -> FacetResult | None:
    """The facets of ``names`` that run beside decoding, for one image (None for no names)."""
    if not names:
        return None
    return FacetResult(runner.per_image(image, names))


def stored_description(facets_json: str | None) -> DescriptionBase:
    """The stored facets, or an empty description when there are none (or they are unreadable:
    they are recomputed, never trusted half-parsed)."""
    if facets_json:
        try:
            return Description.model_validate_json(facets_json)
        except ValueError:
            pass
    return Description()


def merge_facets(
    stored: DescriptionBase, fresh: DescriptionBase, names: Sequence[str]
) -> DescriptionBase:
    """``stored`` with the facets in ``names`` taken from ``fresh``: recomputing colours must
    not drop the tags or text an earlier run stored."""
    fields: dict[str, object] = {}
    for name in names:
        for field in FACETS.fields_of(name):
            fields[field] = getattr(fresh, field)
    missing = {k: v for k, v in stored.facets_missing.items() if k not in names}
    missing |= {k: v for k, v in fresh.facets_missing.items() if k in names}
    return stored.model_copy(update=fields | {"facets_missing": missing})

"""What the Image page shows: the catalog row, its stored description and facets, its
categories. No model runs: the description is rendered from what indexing stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from picsift.api.state import AppState
from picsift.describe.facets.regions import region_colour
from picsift.describe.templates import TemplateError
from picsift.prompts.service import Generated
from picsift.store import ImageRow
from picsift.store.records import VariantRecord
from picsift.web.templating import short_alt


@dataclass(frozen=True)
class ImageView:
    row: ImageRow
    name: str
    alt: str
    paragraph: str | None
    facets: dict[str, Any]
    categories: list[tuple[int, str]] = field(default_factory=list)
    maps: list[str] = field(default_factory=list)  # structure maps stored: overlays
    legend: list[tuple[str, str, float]] = field(default_factory=list)  # region, colour, share
    variant_of: VariantRecord | None = None  # set when this picture was made by an edit
    variants: list[VariantRecord] = field(default_factory=list)  # edits made from it
    edit_methods: list[str] = field(default_factory=list)  # what the Edit form offers
    generated: Generated | None = None  # what its metadata says made it (generated images)


def categories_of(state: AppState, image_id: int) -> list[tuple[int, str]]:
    """The image's leaf categories and their parents, or Unsorted when clustered into none."""
    return state.library.image_categories(image_id)


def image(state: AppState, image_id: int) -> ImageView | None:
    row = state.store.images.get(image_id)
    if row is None:
        return None
    name = Path(row.path).name
    if row.status != "ok":
        return ImageView(row, name, short_alt(name), None, {})
    facets_json = state.store.images.facets_of(image_id)
    try:
        described = state.describer.describe_indexed(row, facets_json, "paragraph")
        alt = state.describer.describe_indexed(row, facets_json, "alt").text
    except TemplateError:  # a broken local override of a shipped template: show the caption
        return ImageView(row, name, short_alt(row.caption), row.caption, {})
    made_from, made = state.editing.links(image_id)
    return ImageView(
        row,
        name,
        short_alt(alt or row.user_caption or row.caption),
        described.text,
        described.facets or {},
        categories_of(state, image_id),
        state.store.images.map_names(image_id),
        region_legend(described.facets or {}),
        made_from,
        made,
        edit_methods(state),
        state.prompts.generated(image_id) if row.prompt or row.ai_generated else None,
    )


def edit_methods(state: AppState) -> list[str]:
    """The preset's edit methods, default first; none when the edit extra is missing."""
    import importlib.util

    if importlib.util.find_spec("diffusers") is None:
        return []
    return list(state.models.preset.edits)


def region_legend(facets: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(region, colour, share) in the order of the region map's colours."""
    found = (facets.get("regions") or {}).get("regions") or []
    return [(r["label"], region_colour(i), r["share"]) for i, r in enumerate(found)]

"""Regions facet: which surfaces fill the picture (wall, floor, bed, window, sky, sea, …) and
how much of it each covers, from semantic segmentation (the preset's ``segmenter``,
UperNet-ConvNeXt on ADE20K's 150 classes by default).

The classes are the model's own; a name with alternatives ("windowpane, window") is read by
its first. Opt-in: it costs a model pass per image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from picsift.describe.facets.base import (
    MAPS,
    FacetBatch,
    FacetDefaults,
    FieldSpec,
    Need,
    WordKind,
    field_of,
    png,
)
from picsift.describe.facets.tools import FacetTools
from picsift.describe.model import DescriptionBase

MAP_SIDE = 64  # classes are counted on a 64 x 64 map
MIN_SHARE = 0.01  # smaller regions are left out
WORD_SHARE = 0.05  # a region covering this much is a search word
# Model class names that read better in a sentence and a search.
READABLE = {"windowpane": "window", "earth": "ground", "plant": "plants", "flower": "flowers"}


class Region(BaseModel):
    label: str
    share: float = Field(ge=0.0, le=1.0, description="Fraction of the picture it covers.")


class RegionsFacet(BaseModel):
    regions: list[Region] = Field(description="Largest first; regions under 1% left out.")


def readable(label: str) -> str:
    first = label.split(",")[0].strip().lower()
    return READABLE.get(first, first)


def regions_of(classes: np.ndarray, labels: list[str]) -> RegionsFacet:
    """Each class's share of the map, merged by readable name, largest first."""
    counts = np.bincount(classes.ravel(), minlength=len(labels))
    total = max(1, int(classes.size))
    merged: dict[str, float] = {}
    for class_id in np.flatnonzero(counts):
        name = readable(labels[class_id]) if class_id < len(labels) else f"class {class_id}"
        merged[name] = merged.get(name, 0.0) + counts[class_id] / total
    found = [
        Region(label=name, share=round(share, 4))
        for name, share in sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
        if share >= MIN_SHARE
    ]
    return RegionsFacet(regions=found)


# Colours of the region map, by the region's place in the facet's list (largest first); the
# image page's legend uses the same list.
PALETTE = [
    (230, 25, 75),
    (60, 180, 75),
    (255, 225, 25),
    (0, 130, 200),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
    (210, 245, 60),
    (250, 190, 212),
    (0, 128, 128),
    (220, 190, 255),
    (170, 110, 40),
    (255, 250, 200),
    (128, 0, 0),
    (170, 255, 195),
    (128, 128, 0),
    (255, 215, 180),
    (0, 0, 128),
    (128, 128, 128),
]
OTHER = 255  # pixels of regions too small to list


def region_colour(index: int) -> str:
    r, g, b = PALETTE[index % len(PALETTE)]
    return f"#{r:02x}{g:02x}{b:02x}"


def region_map(classes: np.ndarray, labels: list[str], found: RegionsFacet) -> bytes:
    """The label map as an indexed PNG: pixel = the region's place in ``found``, 255 other."""
    place = {r.label: i for i, r in enumerate(found.regions)}
    lookup = np.full(max(len(labels), int(classes.max()) + 1), OTHER, np.uint8)
    for class_id, label in enumerate(labels):
        lookup[class_id] = place.get(readable(label), OTHER)
    flat = [v for i in range(256) for v in (PALETTE[i % len(PALETTE)] if i < OTHER else (0, 0, 0))]
    return png(lookup[classes], flat, transparent=OTHER)


@dataclass(frozen=True)
class RegionsFacetSpec(FacetDefaults):
    name: str = "regions"
    needs: frozenset[Need] = frozenset({"image", "segmenter"})
    fields: dict[str, FieldSpec] = field(
        default_factory=lambda: {"regions": (RegionsFacet | None, None)}
    )
    default: frozenset[Literal["index", "describe"]] = frozenset()
    word_kind: WordKind = "labels"

    def warm(self, tools: FacetTools) -> None:
        tools.models().segmenter()

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        segmenter = batch.tools.models().segmenter()
        labels = segmenter.labels
        maps = segmenter.segment(list(batch.images), MAP_SIDE)
        out = []
        for classes in maps:
            found = regions_of(classes, labels)
            out.append({"regions": found, MAPS: {"regions": region_map(classes, labels, found)}})
        return out

    def words(self, description: DescriptionBase) -> list[str]:
        found: RegionsFacet | None = field_of(description, "regions")
        if found is None:
            return []
        return [r.label for r in found.regions if r.share >= WORD_SHARE]


FACET = RegionsFacetSpec()

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

from picsift.describe.facets.base import FacetBatch, FieldSpec, Need, WordKind, field_of
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


@dataclass(frozen=True)
class RegionsFacetSpec:
    name: str = "regions"
    needs: frozenset[Need] = frozenset({"image", "segmenter"})
    fields: dict[str, FieldSpec] = field(
        default_factory=lambda: {"regions": (RegionsFacet | None, None)}
    )
    default: frozenset[Literal["index", "describe"]] = frozenset()
    word_kind: WordKind = "labels"

    def check(self, tools: FacetTools) -> None:
        return None

    def warm(self, tools: FacetTools) -> None:
        tools.models().segmenter()

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        segmenter = batch.tools.models().segmenter()
        labels = segmenter.labels
        maps = segmenter.segment(list(batch.images), MAP_SIDE)
        return [{"regions": regions_of(m, labels)} for m in maps]

    def words(self, description: DescriptionBase) -> list[str]:
        found: RegionsFacet | None = field_of(description, "regions")
        if found is None:
            return []
        return [r.label for r in found.regions if r.share >= WORD_SHARE]


FACET = RegionsFacetSpec()

"""Depth facet: how much of the picture is near, in the middle and far, the shot scale that
follows, and which detected objects stand in front or at the back.

A monocular depth model (the preset's ``depth``, Depth Anything V2 Small by default) gives
relative depth, scaled 0 (farthest) .. 1 (nearest) within each picture, so the thirds are
thirds of that picture's own depth range. Opt-in: it costs a model pass per image.
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
from picsift.describe.model import DescriptionBase, DetectedObject

MAP_SIDE = 64  # the depth map is read at 64 x 64
NEAR, FAR = 2 / 3, 1 / 3  # thirds of the picture's own depth range
CLOSE_UP_FAR_SHARE = 0.15  # little far away and much near: a close-up
CLOSE_UP_NEAR_SHARE = 0.4
WIDE_FAR_SHARE = 0.35  # a third or more far away: a wide shot

Shot = Literal["close-up", "medium", "wide"]


class DepthFacet(BaseModel):
    near: float = Field(ge=0.0, le=1.0, description="Share of pixels in the nearest third.")
    middle: float = Field(ge=0.0, le=1.0, description="Share in the middle third.")
    far: float = Field(ge=0.0, le=1.0, description="Share in the farthest third.")
    shot: Shot = Field(description="Shot scale from the depth shares.")
    foreground: list[str] = Field(
        default_factory=list, description="Detected objects in front (objects facet)."
    )
    background: list[str] = Field(
        default_factory=list, description="Detected objects at the back (objects facet)."
    )


def shares(depth: np.ndarray) -> tuple[float, float, float]:
    near = float(np.mean(depth >= NEAR))
    far = float(np.mean(depth < FAR))
    return round(near, 4), round(max(0.0, 1.0 - near - far), 4), round(far, 4)


def shot_of(near: float, far: float) -> Shot:
    if far < CLOSE_UP_FAR_SHARE and near >= CLOSE_UP_NEAR_SHARE:
        return "close-up"
    return "wide" if far >= WIDE_FAR_SHARE else "medium"


def placed(depth: np.ndarray, objects: list[DetectedObject]) -> tuple[list[str], list[str]]:
    """Objects whose box's median depth is in the nearest / farthest third."""
    front: list[str] = []
    back: list[str] = []
    side = depth.shape[0]
    for obj in objects:
        x0, y0, x1, y1 = (round(v * side) for v in obj.box)
        patch = depth[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)]
        if patch.size == 0:
            continue
        level = float(np.median(patch))
        if level >= NEAR and obj.label not in front:
            front.append(obj.label)
        elif level < FAR and obj.label not in back:
            back.append(obj.label)
    return front, back


def depth_facet(depth: np.ndarray, objects: list[DetectedObject]) -> DepthFacet:
    near, middle, far = shares(depth)
    front, back = placed(depth, objects)
    return DepthFacet(
        near=near,
        middle=middle,
        far=far,
        shot=shot_of(near, far),
        foreground=front,
        background=back,
    )


@dataclass(frozen=True)
class DepthFacetSpec(FacetDefaults):
    name: str = "depth"
    needs: frozenset[Need] = frozenset({"image", "depth"})
    fields: dict[str, FieldSpec] = field(
        default_factory=lambda: {"depth": (DepthFacet | None, None)}
    )
    default: frozenset[Literal["index", "describe"]] = frozenset()
    word_kind: WordKind = "labels"

    def warm(self, tools: FacetTools) -> None:
        tools.models().depth()

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        maps = batch.tools.models().depth().estimate(list(batch.images), MAP_SIDE)
        return [
            {
                "depth": depth_facet(m, list(field_of(d, "objects") or [])),
                MAPS: {"depth": png(np.round(m * 255))},  # 255 = nearest
            }
            for m, d in zip(maps, batch.descriptions, strict=True)
        ]

    def words(self, description: DescriptionBase) -> list[str]:
        depth: DepthFacet | None = field_of(description, "depth")
        if depth is None:
            return []
        return [depth.shot, *depth.foreground, *depth.background]


FACET = DepthFacetSpec()

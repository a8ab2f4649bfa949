"""Edges facet: how much of the picture is outline, and its straight lines by direction
(Canny edges and the probabilistic Hough transform, OpenCV). No model.

Not in the text and not searchable: it describes a picture's structure for edits that must
keep it (a room's lines), and is opt-in.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from PIL import Image
from pydantic import BaseModel, Field

from picsift.describe.facets.base import MAPS, ImageFacet, png

SIDE = 256  # edges are found on the picture scaled to fit 256 x 256
LOW, HIGH = 100, 200  # Canny hysteresis thresholds (0..255 grey)
MIN_LINE = 0.15  # a straight line spans at least this share of the side
MAX_GAP = 5  # pixels a line may skip
TILT = 15.0  # degrees from horizontal or vertical still counted as such


class EdgesFacet(BaseModel):
    density: float = Field(ge=0.0, le=1.0, description="Share of pixels on an edge.")
    lines: int = Field(ge=0, description="Straight line segments found.")
    horizontal: int = Field(ge=0)
    vertical: int = Field(ge=0)
    diagonal: int = Field(ge=0)


def edges_facet(image: Image.Image) -> EdgesFacet:
    return _edges(image)[0]


def edge_map(image: Image.Image, side: int = SIDE) -> np.ndarray:
    """Canny edges (255 = edge) of the picture scaled to fit ``side`` x ``side``: the edges
    facet's map, and what an edit's structure score compares."""
    grey = image.convert("L")
    if max(grey.size) > side:
        grey = grey.copy()
        grey.thumbnail((side, side), Image.Resampling.BILINEAR)
    return np.asarray(cv2.Canny(np.asarray(grey, dtype=np.uint8), LOW, HIGH))


def _edges(image: Image.Image) -> tuple[EdgesFacet, np.ndarray]:
    edges = edge_map(image)
    side = max(edges.shape)
    found = cv2.HoughLinesP(
        edges,
        1,
        np.pi / 180,
        threshold=max(10, int(side * MIN_LINE / 2)),
        minLineLength=max(8, int(side * MIN_LINE)),
        maxLineGap=MAX_GAP,
    )
    counts = {"horizontal": 0, "vertical": 0, "diagonal": 0}
    for x0, y0, x1, y1 in found.reshape(-1, 4) if found is not None else []:
        angle = abs(np.degrees(np.arctan2(int(y1) - int(y0), int(x1) - int(x0)))) % 180
        if min(angle, 180 - angle) <= TILT:
            counts["horizontal"] += 1
        elif abs(angle - 90) <= TILT:
            counts["vertical"] += 1
        else:
            counts["diagonal"] += 1
    facet = EdgesFacet(
        density=round(float(np.count_nonzero(edges)) / max(1, edges.size), 4),
        lines=sum(counts.values()),
        **counts,
    )
    return facet, edges


def _of(image: Image.Image) -> dict[str, Any]:
    facet, edges = _edges(image)
    return {"edges": facet, MAPS: {"edges": png(edges)}}  # 255 = edge, at up to 256 px


FACET = ImageFacet(
    name="edges",
    fields={"edges": (EdgesFacet | None, None)},
    of_image=_of,
    default=frozenset(),
)

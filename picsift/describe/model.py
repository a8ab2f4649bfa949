"""The typed pieces of a description: the base every description has, and the field types
of the shipped facets (the registry composes the full model from the facets).

Facets that could not be computed are ``None`` and named in ``facets_missing`` with a reason,
so templates and API clients can tell "not computed" from "empty".
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

Orientation = Literal["landscape", "portrait", "square"]
BlurLabel = Literal["sharp", "soft", "blurry"]
Framing = Literal["close-up", "medium", "wide"]


class Colour(BaseModel):
    """One palette entry: a readable name, its sRGB hex and the share of pixels it covers."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Simple human name, e.g. 'dark blue'.")
    hex: str = Field(pattern=r"^#[0-9a-f]{6}$", description="Cluster centre as sRGB hex.")
    share: float = Field(ge=0.0, le=1.0, description="Fraction of the image's pixels.")
    css_name: str | None = Field(
        default=None, description="Nearest CSS/X11 colour name the simple name came from."
    )


class ColourFacet(BaseModel):
    palette: list[Colour] = Field(description="Dominant colours, largest share first.")
    brightness: float = Field(ge=0.0, le=1.0, description="Mean CIELAB L* / 100.")
    contrast: float = Field(ge=0.0, le=1.0, description="Std of L* / 50, clipped to 1.")
    colourfulness: float = Field(
        ge=0.0, description="Hasler & Suesstrunk (2003) metric; 0 for grey, >~80 very vivid."
    )


class CompositionFacet(BaseModel):
    orientation: Orientation
    aspect_ratio: float = Field(gt=0.0, description="Width / height.")
    aspect_label: str | None = Field(
        default=None, description="Common ratio such as '4:3' or '9:16' when close, else null."
    )
    subject_position: str = Field(
        description="Centre of the salient box in a 3x3 grid, e.g. 'top left', 'centre'."
    )
    subject_box: tuple[float, float, float, float] = Field(
        description="Salient box (x0, y0, x1, y1), normalised to 0..1."
    )
    sharpness: float = Field(ge=0.0, le=1.0, description="Normalised variance of Laplacian.")
    blur_label: BlurLabel
    framing: Framing = Field(description="From the salient area share.")
    subject_source: Literal["saliency", "objects"] = Field(
        default="saliency",
        description="Where subject_box came from: a saliency estimate, "
        "or the largest detected object when the objects facet ran.",
    )


class Tag(BaseModel):
    """A zero-shot label that cleared its vocabulary's threshold."""

    model_config = ConfigDict(frozen=True)

    label: str
    vocabulary: str = Field(description="File name (without .txt) the label came from.")
    score: float = Field(description="CLIP cosine between the image and the label's prompts.")


class DetectedObject(BaseModel):
    """One object box from a detector (Florence-2's ``<OD>`` task)."""

    model_config = ConfigDict(frozen=True)

    label: str
    box: tuple[float, float, float, float] = Field(
        description="(x0, y0, x1, y1), normalised to 0..1 of the image's width and height."
    )
    position: str = Field(description="Centre of the box in a 3x3 grid, e.g. 'left', 'centre'.")


class DescriptionBase(BaseModel):
    """What every description has. The facets' fields are added to it by the registry
    (:data:`picsift.describe.facets.Description`), so a new facet never edits this file.

    ``maps`` (not part of the JSON) carries the small maps structure facets made (PNG bytes
    by name) from where they are computed to where they are stored."""

    _maps: dict[str, bytes] = PrivateAttr(default_factory=dict)

    caption: str | None = None
    facets_missing: dict[str, str] = Field(
        default_factory=dict, description="Facet name -> why it is missing."
    )

    @property
    def maps(self) -> dict[str, bytes]:
        return dict(self._maps)

    def with_maps(self, maps: dict[str, bytes]) -> DescriptionBase:
        """A copy holding ``maps`` beside the ones it had."""
        copy = self.model_copy()
        copy._maps = {**self._maps, **maps}
        return copy

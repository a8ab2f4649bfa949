"""Cheap, model-free facets of an image (colours, composition) and a registry of them."""

from __future__ import annotations

from collections.abc import Iterable

from PIL import Image

from picsift.describe.facets import colours, composition
from picsift.describe.facets.registry import FACETS, FacetFn, register
from picsift.describe.model import Description

__all__ = ["FACETS", "FacetFn", "colours", "composition", "compute_facets", "register"]


def compute_facets(
    image: Image.Image,
    names: Iterable[str] | None = None,
    *,
    caption: str | None = None,
) -> Description:
    """Run the named facets (default: all) on ``image``; a failing facet is recorded as
    missing with its reason instead of stopping the others."""
    values: dict[str, object] = {}
    missing: dict[str, str] = {}
    for name in FACETS if names is None else names:
        fn = FACETS.get(name)
        if fn is None:
            missing[name] = "unknown facet"
            continue
        try:
            values[name] = fn(image)
        except Exception as exc:  # one facet must never sink the description
            missing[name] = f"{type(exc).__name__}: {exc}"
    for name in ("colours", "composition"):
        if name not in values and name not in missing:
            missing[name] = "not computed"
    return Description(caption=caption, facets_missing=missing, **values)  # type: ignore[arg-type]

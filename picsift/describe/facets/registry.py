"""Name -> facet function. A facet is a pure function of a decoded RGB PIL image."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PIL import Image
from pydantic import BaseModel

FacetFn = Callable[[Image.Image], BaseModel]
F = TypeVar("F", bound=FacetFn)

FACETS: dict[str, FacetFn] = {}


def register(name: str) -> Callable[[F], F]:
    """Decorator adding a facet under ``name`` (a field of :class:`Description`)."""

    def wrap(fn: F) -> F:
        if name in FACETS and FACETS[name] is not fn:
            raise ValueError(f"facet {name!r} is already registered")
        FACETS[name] = fn
        return fn

    return wrap

"""Search parameters: one model for the JSON body, the same fields as query parameters.

``GET /search`` and ``POST /search`` accept the same fields (POST is for long queries and
long filter lists) and both end as one :class:`~picsift.search.SearchOptions`. Ranges are
checked by FastAPI (422 before any work); the cross-field and format checks raise
:class:`~picsift.search.QueryError`, which the API also answers with 422.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Literal

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from picsift.search import Filters, QueryError, SearchOptions
from picsift.search.query import MAX_QUERY_CHARS
from picsift.search.service import MAX_DEPTH
from picsift.store.filters import MAX_FILTER_VALUES

MAX_LIMIT = 200
_DATE_CHARS = 32


class SearchRequest(BaseModel):
    """The body of ``POST /search``; also what the query parameters of GET are turned into."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(default=None, max_length=MAX_QUERY_CHARS, description="Query text.")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, lt=MAX_DEPTH)
    folder: list[str] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    format: list[str] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    after: str | None = Field(
        default=None, max_length=_DATE_CHARS, description="YYYY-MM-DD, inclusive."
    )
    before: str | None = Field(
        default=None, max_length=_DATE_CHARS, description="YYYY-MM-DD, exclusive."
    )
    min_width: int | None = Field(default=None, ge=0, le=1_000_000)
    min_height: int | None = Field(default=None, ge=0, le=1_000_000)
    category: list[int] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only in these category ids (0 = Unsorted; a parent includes its children).",
    )
    tag: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only images with any of these tags (the tags facet's labels).",
    )
    people: str | None = Field(
        default=None,
        max_length=12,
        description="How many people (the people facet): 0, 2, 2-4 or 3+.",
    )
    region: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only images showing any of these regions (the regions facet), e.g. sea.",
    )
    shot: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only these shot scales (the depth facet): close-up, medium, wide.",
    )
    variants: Literal["hide", "include", "only"] | None = Field(
        default=None,
        description="Edited pictures (variants): hidden by default; include or only them.",
    )
    generated: bool | None = Field(
        default=None,
        description="Only pictures whose metadata says they were made with AI (true), or "
        "only the others (false).",
    )
    generator: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only pictures made by a generator whose name contains this, e.g. comfyui.",
    )
    weights: dict[str, float] | str | None = Field(
        default=None,
        description='Channel weights: {"clip": 1, "words": 0.5} or "clip:1,words:0.5".',
    )
    cutoff: float | None = Field(default=None, ge=0.0, lt=1.0)
    sources: list[str] | str | None = Field(
        default=None, description="Caption sources: model, user, prompt."
    )


def search_query(
    q: str | None = Query(None, max_length=MAX_QUERY_CHARS, description="Query text."),
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, lt=MAX_DEPTH),
    folder: list[str] = Query([], description="Only images under this folder (repeatable)."),
    file_format: list[str] = Query([], alias="format", description="jpeg, png... (repeatable)."),
    after: str | None = Query(None, max_length=_DATE_CHARS),
    before: str | None = Query(None, max_length=_DATE_CHARS),
    min_width: int | None = Query(None, ge=0, le=1_000_000),
    min_height: int | None = Query(None, ge=0, le=1_000_000),
    category: list[int] = Query([], description="Category id, 0 = Unsorted (repeatable)."),
    tag: list[str] = Query([], description="Only images with this tag (repeatable)."),
    people: str | None = Query(None, max_length=12, description="0, 2, 2-4 or 3+ people."),
    region: list[str] = Query([], description="Only images showing this region (repeatable)."),
    shot: list[str] = Query([], description="close-up, medium or wide (repeatable)."),
    variants: Literal["hide", "include", "only"] | None = Query(
        None, description="Edited pictures: hidden by default; include or only them."
    ),
    generated: bool | None = Query(None, description="Made with AI (true) or not (false)."),
    generator: list[str] = Query([], description="Generator name contains (repeatable)."),
    weights: str | None = Query(None, max_length=200, description="e.g. clip:1,caption:1"),
    cutoff: float | None = Query(None, ge=0.0, lt=1.0),
    sources: str | None = Query(None, max_length=50, description="e.g. model,user,prompt"),
) -> SearchRequest:
    """``GET /search`` query parameters, as a :class:`SearchRequest`."""
    fields = {
        "q": q,
        "limit": limit,
        "offset": offset,
        "folder": folder,
        "format": [f for value in file_format for f in value.split(",") if f.strip()],
        "after": after,
        "before": before,
        "min_width": min_width,
        "min_height": min_height,
        "category": category,
        "tag": tag,
        "people": people,
        "region": region,
        "shot": shot,
        "variants": variants,
        "generated": generated,
        "generator": generator,
        "weights": weights,
        "cutoff": cutoff,
        "sources": sources,
    }
    try:
        return SearchRequest.model_validate(fields)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def parse_weights(value: dict[str, float] | str | None) -> dict[str, float] | None:
    """``"clip:1,words:0.5"`` (``=`` also accepted) or a dict; values must be finite."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        out: dict[str, float] = {}
        for part in value.split(","):
            name, sep, number = part.replace("=", ":").partition(":")
            try:
                if not sep:
                    raise ValueError
                out[name.strip()] = float(number)
            except ValueError:
                raise QueryError(f"weights: '{part.strip()}' is not NAME:NUMBER") from None
        value = out
    if not all(math.isfinite(w) for w in value.values()):
        raise QueryError("weights must be finite numbers")
    return dict(value)


def _sources(value: list[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    return tuple(s.strip() for s in items if s.strip())


def to_options(request: SearchRequest) -> SearchOptions:
    if request.offset + request.limit > MAX_DEPTH:
        raise QueryError(f"offset + limit must be at most {MAX_DEPTH}")
    filters = Filters(
        folders=tuple(request.folder),
        formats=tuple(f.strip() for f in request.format if f.strip()),
        after=request.after or None,
        before=request.before or None,
        min_width=request.min_width,
        min_height=request.min_height,
        categories=tuple(request.category),
        tags=tuple(t for t in request.tag if t.strip()),
        people=request.people or None,
        regions=tuple(r for r in request.region if r.strip()),
        shots=tuple(s for s in request.shot if s.strip()),
        variants=request.variants,
        generated=request.generated,
        generators=tuple(g for g in request.generator if g.strip()),
    )
    options = SearchOptions(
        limit=request.limit,
        offset=request.offset,
        weights=parse_weights(request.weights),
        cutoff=request.cutoff,
        filters=filters,
        allow_paths=False,
    )
    sources = _sources(request.sources)
    return options if sources is None else dataclasses.replace(options, sources=sources)

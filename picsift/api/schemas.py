"""Response shapes, declared so that ``/openapi.json`` documents what each route returns.

They mirror the dataclasses of the services (``SearchPage``, ``Hit``, ``Description``,
``ImageRow``); the routes return plain dicts and FastAPI checks them against these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from picsift.describe.facets import Description as RichDescription


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class Health(BaseModel):
    status: str
    images: int
    preset: str
    models_loaded: bool


if TYPE_CHECKING:
    from picsift.describe.model import DescriptionBase as FacetsOut
else:
    FacetsOut = RichDescription  # the whole typed description, published in the OpenAPI schema


class DescriptionOut(BaseModel):
    caption: str | None
    width: int
    height: int
    format: str
    taken_at: str | None = None
    captioner: str | None
    meaningless: bool
    template: str | None = None
    text: str | None = Field(default=None, description="The description rendered by template.")
    facets: FacetsOut | None = None


class ImageOut(BaseModel):
    id: int
    path: str
    caption: str | None
    user_caption: str | None
    width: int | None
    height: int | None
    format: str | None
    taken_at: str | None
    status: str
    error: str | None
    sha256: str | None
    prompt: str | None = Field(default=None, description="The prompt the file's metadata names.")
    generator: str | None = Field(default=None, description="What made it, if it says.")
    ai_generated: bool = Field(default=False, description="Marked or described as made with AI.")


class StoredDescriptionOut(ImageOut):
    """``POST /describe?store=true``: the new catalog row plus what described it."""

    captioner: str
    meaningless: bool


class HitOut(BaseModel):
    id: int
    path: str
    score: float
    caption: str
    user_caption: str | None
    channels: dict[str, dict[str, int | float]]  # channel -> {"rank": r, "score": s}
    duplicate_of: int | None = None


class QueryTerm(BaseModel):
    kind: str
    value: str
    weight: float


class QueryReading(BaseModel):
    read_as: str
    terms: list[QueryTerm]
    phrases: list[str] = Field(description="Exact phrases the words channel requires.")
    notes: list[str] = Field(
        default=[], description="Why this query's channel weights differ from the defaults."
    )


class SearchOut(BaseModel):
    hits: list[HitOut]
    total: int
    offset: int
    limit: int
    weights: dict[str, float]
    meaningless: bool
    query: QueryReading | None = Field(
        default=None, description="How the query text was read: plain text or arithmetic."
    )


# Documented error responses shared by the routes (the body is always ErrorBody).
def errors(*statuses: int) -> dict[int | str, dict[str, object]]:
    return {status: {"model": ErrorBody} for status in statuses}

"""Text facet: the text read in the image (RapidOCR), searchable verbatim.

Opt-in at indexing (about 0.5 s per image on 2 cores); the reader is the owner's one
:class:`~picsift.describe.ocr.OcrReader`, shared by the decode threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from picsift.describe.facets.base import (
    FacetBatch,
    FacetDefaults,
    FieldSpec,
    Need,
    WordKind,
    field_of,
)
from picsift.describe.model import DescriptionBase


@dataclass(frozen=True)
class TextFacet(FacetDefaults):
    name: str = "text"
    needs: frozenset[Need] = frozenset({"image", "ocr"})
    fields: dict[str, FieldSpec] = field(
        default_factory=lambda: {
            "text": (str | None, Field(default=None, description="Text read in the image (OCR)."))
        }
    )
    default: frozenset[Literal["index", "describe"]] = frozenset()
    word_kind: WordKind = "read"

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        reader = batch.tools.ocr()
        return [{"text": reader.read(image)} for image in batch.images]

    def words(self, description: DescriptionBase) -> list[str]:
        text = field_of(description, "text")
        return [text] if text else []


FACET = TextFacet()

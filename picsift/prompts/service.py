"""Use cases for generated images: what made one, and which agree least with their prompt.

Transport (CLI, API, pages) calls these and formats the result; nothing here prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from picsift.errors import PicsiftError
from picsift.prompts.agreement import Agreement
from picsift.store.filters import Filters
from picsift.store.ports import LibraryStore
from picsift.store.records import ImageRow

MAX_LIMIT = 500


class NotFoundError(PicsiftError):
    """No image with that id."""


@dataclass(frozen=True)
class Generated:
    """How one picture says it was made, and how well it agrees with its prompt."""

    image: ImageRow
    negative: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    agreement: Agreement | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, as the API and ``--json`` give it."""
        a = self.agreement
        return {
            "id": self.image.id,
            "path": self.image.path,
            "prompt": self.image.prompt,
            "negative": self.negative,
            "generator": self.image.generator,
            "ai_generated": self.image.ai_generated,
            "parameters": self.parameters,
            "problems": self.problems,
            "agreement": None
            if a is None
            else {
                "clip": a.clip,
                "percentile": a.percentile,
                "sample": a.sample,
                "model": a.model,
                "phrases": [
                    {
                        "phrase": p.phrase,
                        "supported": p.supported,
                        "found_in": list(p.found_in),
                        "clip": p.clip,
                        "percentile": p.percentile,
                    }
                    for p in a.phrases
                ],
                "notes": a.notes(),
            },
        }


@dataclass(frozen=True)
class MismatchPage:
    items: list[Generated]
    total: int  # pictures with a checked prompt, within the filters
    offset: int


class PromptService:
    def __init__(self, store: LibraryStore) -> None:
        self._store = store

    def generated(self, image_id: int) -> Generated:
        row = self._store.images.get(image_id)
        if row is None:
            raise NotFoundError(f"no image with id {image_id}")
        return self._generated(row)

    def _generated(self, row: ImageRow) -> Generated:
        prompts = self._store.prompts
        details = _json(prompts.details(row.id))
        stored = prompts.agreement(row.id)
        agreement = None
        if stored:
            try:
                agreement = Agreement.from_json(stored)
            except (ValueError, KeyError, TypeError):
                agreement = None  # written by another version: the next sweep redoes it
        negative, parameters, problems = (
            details.get("negative"),
            details.get("parameters"),
            details.get("problems"),
        )
        return Generated(
            row,
            negative if isinstance(negative, str) else None,
            {str(k): str(v) for k, v in parameters.items()} if isinstance(parameters, dict) else {},
            [str(p) for p in problems] if isinstance(problems, list) else [],
            agreement,
        )

    def mismatches(self, filters: Filters, limit: int = 20, offset: int = 0) -> MismatchPage:
        """The pictures that agree least with their prompt, worst first."""
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise PicsiftError(f"limit must be 1..{MAX_LIMIT} and offset >= 0")
        ids, total = self._store.prompts.worst(filters, limit, offset)
        rows = self._store.images.rows(ids)
        return MismatchPage([self._generated(rows[i]) for i in ids if i in rows], total, offset)

    def generators(self) -> list[tuple[str, int]]:
        return self._store.prompts.generators()


def _json(text: str | None) -> dict[str, object]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}

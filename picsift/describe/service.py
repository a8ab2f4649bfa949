"""Describe images on demand: decode, caption, compute facets, render a template.

Nothing is stored. What a description holds (facets) and how it reads (a template) are
choices per call, with defaults in the settings, so reshaping the output is never a code
change.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from picsift.config import Settings
from picsift.describe.facets import FACETS, compute_facets
from picsift.describe.model import Description as RichDescription
from picsift.describe.ocr import OcrReader
from picsift.describe.templates import TemplateError, TemplateRenderer
from picsift.errors import PicsiftError
from picsift.imaging import DecodedImage
from picsift.indexer.pipeline import load_ahead
from picsift.indexer.scan import FileStat
from picsift.models.provider import ModelSource
from picsift.store import ImageRow


@dataclass(frozen=True)
class Description:
    source: str
    caption: str | None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    taken_at: str | None = None
    captioner: str | None = None
    meaningless: bool = False
    error: str | None = None
    template: str | None = None
    text: str | None = None  # the description rendered with ``template``
    facets: dict[str, Any] | None = None  # every facet computed, as plain data

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Facets that need a model, computed here rather than by the model-free facet registry.
MODEL_FACETS = ("caption", "text")


class DescribeService:
    def __init__(
        self,
        models: ModelSource,
        settings: Settings,
        templates: TemplateRenderer | None = None,
    ) -> None:
        self._models = models
        self._settings = settings
        self._templates = templates or TemplateRenderer(settings.home / "templates")
        self._ocr = OcrReader()

    def check(self, template: str, facets: Sequence[str]) -> None:
        """Refuse unknown templates and facets before any image is decoded."""
        if self._templates.path_of(template) is None:
            names = ", ".join(self._templates.names())
            raise TemplateError(template, f"no such template; available: {names}")
        unknown = set(facets) - {*MODEL_FACETS, *FACETS}
        if unknown:
            known = ", ".join([*MODEL_FACETS, *sorted(FACETS)])
            raise PicsiftError(f"unknown facets {sorted(unknown)}; known: {known}")

    def describe_files(
        self,
        paths: Sequence[Path],
        facets: Sequence[str] | None = None,
        template: str | None = None,
    ) -> Iterator[Description]:
        """One Description per path, in order; bad files give a Description with ``error``."""
        facets = list(facets or self._settings.describe_facets)
        template = template or self._settings.describe_template
        self.check(template, facets)
        files = [FileStat(str(p), 0, 0) for p in paths]
        batch: list[tuple[str, Any]] = []
        for item in load_ahead(files, self._settings, lookahead=2 * self._settings.batch_size):
            if item.decoded is None:
                yield from self._flush(batch, facets, template)
                batch = []
                yield Description(item.file.path, None, error=item.error)
                continue
            batch.append((item.file.path, item.decoded))
            if len(batch) >= self._settings.batch_size:
                yield from self._flush(batch, facets, template)
                batch = []
        yield from self._flush(batch, facets, template)

    def _flush(
        self, batch: list[tuple[str, Any]], facets: list[str], template: str
    ) -> Iterator[Description]:
        yield from self.describe_decoded(batch, facets, template)

    def describe_decoded(
        self,
        batch: list[tuple[str, DecodedImage]],
        facets: Sequence[str] | None = None,
        template: str | None = None,
    ) -> list[Description]:
        """Describe images already decoded (uploads never touch the disk), in one batch."""
        if not batch:
            return []
        facets = list(facets or self._settings.describe_facets)
        template = template or self._settings.describe_template
        self.check(template, facets)
        if "caption" not in facets:
            return [self._assemble(source, d, None, None, facets, template) for source, d in batch]
        captioner = self._models.captioner()
        captions = captioner.caption([d.image for _, d in batch])
        return [
            self._assemble(source, d, caption, captioner.model_id, facets, template)
            for (source, d), caption in zip(batch, captions, strict=True)
        ]

    def describe_stored(self, row: ImageRow, facets_json: str | None, template: str) -> Description:
        """Render an indexed image from what the catalog holds: no image, no model needed.

        People's caption wins over the model's, as it does in search and naming."""
        self.check(template, [])
        rich = (
            RichDescription.model_validate_json(facets_json)
            if facets_json
            else RichDescription(caption=None)
        )
        rich = rich.model_copy(update={"caption": row.user_caption or row.caption})
        return Description(
            row.path,
            rich.caption,
            row.width,
            row.height,
            row.format,
            row.taken_at,
            row.captioner,
            self._models.preset.meaningless,
            template=template,
            text=self._templates.render(template, rich),
            facets=rich.model_dump(mode="json"),
        )

    def _assemble(
        self,
        source: str,
        decoded: DecodedImage,
        caption: str | None,
        captioner: str | None,
        facets: Sequence[str],
        template: str,
    ) -> Description:
        cheap = [f for f in facets if f not in MODEL_FACETS]
        rich = compute_facets(decoded.image, cheap, caption=caption)
        if "text" in facets:
            rich = rich.model_copy(update={"text": self._ocr.read(decoded.image)})
        return Description(
            source,
            caption,
            decoded.width,
            decoded.height,
            decoded.format,
            decoded.taken_at,
            captioner,
            self._models.preset.meaningless,
            template=template,
            text=self._templates.render(template, rich),
            facets=rich.model_dump(mode="json"),
        )

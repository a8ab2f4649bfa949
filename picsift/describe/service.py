"""Describe images on demand: decode, caption, compute facets, render a template.

Nothing is stored. What a description holds (facets) and how it reads (a template) are
choices per call, with defaults in the settings, so reshaping the output is never a code
change.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from picsift.config import Settings
from picsift.describe.facets import FACETS, Description
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.describe.model import DescriptionBase
from picsift.describe.templates import TemplateError, TemplateRenderer
from picsift.imaging import DecodedImage
from picsift.imaging.ahead import FileStat, Loaded, load_ahead
from picsift.imaging.sandbox import DecodeSandbox, ImageDecoder
from picsift.models.provider import ModelSource
from picsift.store import ImageRow
from picsift.store.ports import LibraryStore


@dataclass(frozen=True)
class DescribeResult:
    """What describing one input gave: its facts, the rendered text and every facet as plain
    data, or the error. (The typed :class:`~picsift.describe.model.Description` is what the
    templates read.)"""

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


# Not a facet: the captioner's paragraph, which a description may leave out.
CAPTION = "caption"


def describe_facet_names(settings: Settings) -> list[str]:
    """What a description holds by default: the setting's, or the caption and each facet's
    default."""
    if settings.describe_facets is not None:
        return list(settings.describe_facets)
    return [CAPTION, *FACETS.defaults("describe")]


class DescribeService:
    def __init__(
        self,
        models: ModelSource,
        settings: Settings,
        templates: TemplateRenderer | None = None,
        decoder: ImageDecoder | None = None,
    ) -> None:
        """``decoder`` decodes the files of :meth:`describe_files` (its own sandbox if None)."""
        self._models = models
        self._decoder = decoder or DecodeSandbox(settings)
        self._settings = settings
        self._templates = templates or TemplateRenderer(settings.home / "templates")
        self._facets = FacetRunner(FacetTools(settings, models))

    def warm(self) -> None:
        """Prepare the default facets' label banks now, so the first upload is not slow."""
        self._facets.warm(describe_facet_names(self._settings))

    def check(self, template: str, facets: Sequence[str]) -> None:
        """Refuse unknown templates and facets before any image is decoded."""
        if self._templates.path_of(template) is None:
            names = ", ".join(self._templates.names())
            raise TemplateError(template, f"no such template; available: {names}")
        self._facets.check(facets, extra=(CAPTION,))

    def describe_files(
        self,
        paths: Sequence[Path],
        facets: Sequence[str] | None = None,
        template: str | None = None,
    ) -> Iterator[DescribeResult]:
        """One result per path, in order; a bad file gives one with ``error``."""
        facets = list(facets or describe_facet_names(self._settings))
        template = template or self._settings.describe_template
        self.check(template, facets)
        files = [FileStat.of(p) for p in paths]
        batch: list[tuple[str, Any]] = []
        s = self._settings
        loaded: Iterator[Loaded[None]] = load_ahead(
            files,
            max_bytes=s.max_file_bytes,
            workers=s.resolved_decode_workers,
            lookahead=2 * s.batch_size,
            decoder=self._decoder,
        )
        for item in loaded:
            if item.decoded is None:
                yield from self._flush(batch, facets, template)
                batch = []
                yield DescribeResult(item.file.path, None, error=item.error)
                continue
            batch.append((item.file.path, item.decoded))
            if len(batch) >= self._settings.batch_size:
                yield from self._flush(batch, facets, template)
                batch = []
        yield from self._flush(batch, facets, template)

    def _flush(
        self, batch: list[tuple[str, Any]], facets: list[str], template: str
    ) -> Iterator[DescribeResult]:
        yield from self.describe_decoded(batch, facets, template)

    def describe_decoded(
        self,
        batch: list[tuple[str, DecodedImage]],
        facets: Sequence[str] | None = None,
        template: str | None = None,
    ) -> list[DescribeResult]:
        """Describe images already decoded (uploads never touch the disk), in one batch."""
        if not batch:
            return []
        facets = list(facets or describe_facet_names(self._settings))
        template = template or self._settings.describe_template
        self.check(template, facets)
        captioner = self._models.captioner() if CAPTION in facets else None
        images = [d.image for _, d in batch]
        captions = captioner.caption(images) if captioner else None
        rich = [self._facets.per_image(image, facets) for image in images]
        rich = self._facets.batched(rich, images, facets)
        return [
            self._assemble(
                source,
                decoded,
                description.model_copy(update={"caption": captions[i] if captions else None}),
                captioner.model_id if captioner else None,
                template,
            )
            for i, ((source, decoded), description) in enumerate(zip(batch, rich, strict=True))
        ]

    def describe_paths_stored(
        self, store: LibraryStore, paths: Sequence[Path], template: str | None = None
    ) -> Iterator[DescribeResult]:
        """Indexed images by path, rendered from the store; a path that is not indexed gives a
        DescribeResult with ``error`` saying so."""
        template = template or self._settings.describe_template
        self.check(template, [])
        for path in paths:
            wanted = os.path.abspath(os.path.expanduser(path))  # as the indexer stores it
            row = store.images.rows_under(wanted).get(wanted)
            if row is None or row.status != "ok":
                why = "not in the store" if row is None else f"not indexed ({row.status})"
                yield DescribeResult(str(path), None, error=f"{why}: run picsift index first")
                continue
            yield self.describe_stored(row, store.images.facets_of(row.id), template)

    def describe_stored(
        self, row: ImageRow, facets_json: str | None, template: str
    ) -> DescribeResult:
        """Render an indexed image from what the catalog holds: no image, no model needed.

        People's caption wins over the model's, as it does in search and naming."""
        self.check(template, [])
        rich = (
            Description.model_validate_json(facets_json)
            if facets_json
            else Description(caption=None)
        )
        rich = rich.model_copy(update={"caption": row.user_caption or row.caption})
        return DescribeResult(
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
        rich: DescriptionBase,
        captioner: str | None,
        template: str,
    ) -> DescribeResult:
        return DescribeResult(
            source,
            rich.caption,
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

"""Describing an uploaded image in memory: decode, then the same DescribeService as the CLI."""

from __future__ import annotations

from picsift.config import Settings
from picsift.describe import DescribeResult, DescribeService
from picsift.imaging.sandbox import ImageDecoder
from picsift.models.provider import ModelSource
from picsift.store import ImageRow


class Describer:
    def __init__(self, models: ModelSource, settings: Settings, decoder: ImageDecoder) -> None:
        self._service = DescribeService(models, settings, decoder=decoder)
        self._decoder = decoder

    def warm(self) -> None:
        self._service.warm()

    def describe(
        self,
        data: bytes,
        name: str,
        facets: list[str] | None = None,
        template: str | None = None,
    ) -> DescribeResult:
        """Describe one upload (``name`` already sanitised); raises ImageError when undecodable
        and TemplateError / PicsiftError for an unknown template or facet."""
        decoded = self._decoder.decode(data, name)
        return self._service.describe_decoded([(name, decoded)], facets, template)[0]

    def describe_indexed(
        self, row: ImageRow, facets_json: str | None, template: str
    ) -> DescribeResult:
        """An indexed image's description from its stored caption and facets."""
        return self._service.describe_stored(row, facets_json, template)

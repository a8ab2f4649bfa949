"""Search as the API offers it: by text, by an uploaded example, or like a catalog image.

Each method is one blocking job for the worker pool and returns the response body: the
:class:`~picsift.search.SearchPage` plus ``meaningless`` (the preset has random weights, so
clients can say the ranking means nothing). Image paths inside query text are refused here
(``allow_paths=False``): a path in a request must never make the server read a file.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PIL import Image

from picsift.api.images import Images
from picsift.config import Settings
from picsift.imaging.sandbox import ImageDecoder
from picsift.search import SearchOptions, SearchPage, SearchService


class ApiSearch:
    def __init__(
        self,
        service: SearchService,
        images: Images,
        settings: Settings,
        meaningless: bool,
        decoder: ImageDecoder,
    ) -> None:
        self._service = service
        self._decoder = decoder
        self._images = images
        self._settings = settings
        self._meaningless = meaningless

    def warm(self) -> None:
        self._service.warm()

    def text(self, query: str | None, options: SearchOptions) -> dict[str, Any]:
        return self._search(query, options, [])

    def example(
        self, data: bytes, name: str, query: str | None, options: SearchOptions
    ) -> dict[str, Any]:
        """Search by an uploaded image (weight 1), optionally combined with query text."""
        image = self._decoder.decode(data, name).image
        return self._search(query or None, options, [image])

    def similar(self, image_id: int, options: SearchOptions) -> dict[str, Any]:
        self._images.indexed(image_id)  # 404 / 409 before the service's generic error
        return self._body(self._service.similar(image_id, _no_paths(options)))

    def _search(
        self, query: str | None, options: SearchOptions, examples: list[Image.Image]
    ) -> dict[str, Any]:
        return self._body(self._service.search(query, _no_paths(options), examples))

    def _body(self, page: SearchPage) -> dict[str, Any]:
        return {**page.to_dict(), "meaningless": self._meaningless}


def _no_paths(options: SearchOptions) -> SearchOptions:
    return dataclasses.replace(options, allow_paths=False)

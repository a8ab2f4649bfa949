"""Catalog images by id: their row, their original file, their thumbnail.

Requests only ever name a catalog id; every file path used here comes from the catalog, so
no request can make the server read a file that was not indexed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from picsift.api.errors import ApiError
from picsift.api.thumbnails import Thumbnails
from picsift.errors import ImageError
from picsift.store import ImageRow, Store

ROW_FIELDS = (
    "id",
    "path",
    "caption",
    "user_caption",
    "width",
    "height",
    "format",
    "taken_at",
    "status",
    "error",
    "sha256",
)
MEDIA_TYPES = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}


def row_dict(row: ImageRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in ROW_FIELDS}


class Images:
    def __init__(self, store: Store, thumbnails: Thumbnails) -> None:
        self._store = store
        self._thumbnails = thumbnails

    def row(self, image_id: int) -> ImageRow:
        row = self._store.catalog.get(image_id)
        if row is None:
            raise ApiError(404, "not_found", f"no image with id {image_id}")
        return row

    def indexed(self, image_id: int) -> ImageRow:
        """The row of an image whose analysis succeeded (409 for pending or failed ones)."""
        row = self.row(image_id)
        if row.status != "ok":
            raise ApiError(
                409, "not_indexed", f"image {image_id} is not indexed (status {row.status})"
            )
        return row

    def original(self, image_id: int) -> tuple[Path, str]:
        """Path and media type of the image's file; 404 when the file is gone."""
        row = self.row(image_id)
        path = Path(row.path)
        if not path.is_file():
            raise ApiError(404, "file_missing", f"the file of image {image_id} is gone")
        media_type = MEDIA_TYPES.get(row.format or "", "application/octet-stream")
        return path, media_type

    def thumbnail(self, image_id: int, size: int) -> Path:
        row = self.indexed(image_id)
        if not os.path.isfile(row.path):
            raise ApiError(404, "file_missing", f"the file of image {image_id} is gone")
        try:
            return self._thumbnails.get(row, size)
        except ImageError as exc:
            # The catalog's own file, not the request, is at fault: a conflict, not a 4xx
            # about the client's input.
            raise ApiError(
                409, "unreadable_file", f"image {image_id} cannot be read now: {exc.reason}"
            ) from None

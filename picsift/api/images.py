"""Catalog images by id: their row, their original file, their thumbnail.

Requests only ever name a catalog id; every file path used here comes from the catalog, so
no request can make the server read a file that was not indexed.
"""

from __future__ import annotations

import hashlib
import os
import stat
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
    "prompt",
    "generator",
    "ai_generated",
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
        row = self._store.images.get(image_id)
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

    def facet_map(self, image_id: int, name: str) -> bytes:
        """A structure facet's map of an indexed image (PNG bytes); 404 when it was not
        computed (the facet is opt-in)."""
        self.indexed(image_id)
        found = self._store.images.facet_map(image_id, name)
        if found is None:
            have = ", ".join(self._store.images.map_names(image_id)) or "none"
            raise ApiError(
                404, "not_found", f"image {image_id} has no '{name}' map (it has: {have})"
            )
        return found

    def original(self, image_id: int) -> tuple[Path, str]:
        """Path and media type of an indexed image's file: 404 when the file is gone, 409
        when it is not an indexed image or no longer holds the bytes that were indexed."""
        row = self.indexed(image_id)
        path = self._unchanged_file(row)
        media_type = MEDIA_TYPES.get(row.format or "", "application/octet-stream")
        return path, media_type

    def thumbnail(self, image_id: int, size: int) -> Path:
        row = self.indexed(image_id)
        self._unchanged_file(row)
        try:
            made = self._thumbnails.get(row, size)
        except ImageError as exc:
            # The catalog's own file, not the request, is at fault: a conflict, not a 4xx
            # about the client's input.
            raise ApiError(
                409, "unreadable_file", f"image {image_id} cannot be read now: {exc.reason}"
            ) from None
        if row.sha256 and made.stem != row.sha256:  # the bytes read were not the indexed ones
            raise _changed(image_id)
        return made

    @staticmethod
    def _unchanged_file(row: ImageRow) -> Path:
        """The row's file, while it still holds the bytes that were indexed.

        Only bytes that indexing read and decoded as an image are ever served: a file (or a
        symbolic link's target) that changed since then is not, so a link retargeted after
        indexing cannot make the server read anything else. Same size and mtime is taken as
        unchanged; a new mtime with the same size is checked against the stored SHA-256.
        """
        try:
            st = os.stat(row.path)
        except OSError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            raise ApiError(404, "file_missing", f"the file of image {row.id} is gone")
        if (st.st_size, st.st_mtime_ns) == (row.size, row.mtime_ns):
            return Path(row.path)
        if st.st_size != row.size or _sha256(row.path) != row.sha256:
            raise _changed(row.id)
        return Path(row.path)


def _changed(image_id: int) -> ApiError:
    return ApiError(
        409,
        "file_changed",
        f"the file of image {image_id} changed since it was indexed; run picsift index again",
    )


def _sha256(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1024 * 1024):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()

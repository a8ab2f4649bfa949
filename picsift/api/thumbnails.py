"""JPEG thumbnails of catalog images, made once and kept under ``HOME/thumbnails``.

Files are named by the image's SHA-256, not its id or path: a changed image gets a new
thumbnail without any invalidation step, and byte-identical copies share one. A thumbnail is
written to a temporary file and renamed into place, so a concurrent request or a crash never
leaves a half-written JPEG behind.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from picsift.config import Settings
from picsift.imaging import read_image_file
from picsift.imaging.sandbox import ImageDecoder
from picsift.store import ImageRow

SIZES = (128, 256, 512)
JPEG_QUALITY = 85


class Thumbnails:
    def __init__(self, folder: Path, settings: Settings, decoder: ImageDecoder) -> None:
        self.folder = folder
        self._settings = settings
        self._decoder = decoder

    def path_for(self, sha256: str, size: int) -> Path:
        return self.folder / str(size) / sha256[:2] / f"{sha256}.jpg"

    def get(self, row: ImageRow, size: int) -> Path:
        """The cached thumbnail of ``row`` (made now if missing); raises ImageError."""
        if size not in SIZES:
            raise ValueError(f"thumbnail size must be one of {SIZES}")
        if row.sha256:
            cached = self.path_for(row.sha256, size)
            if cached.is_file():
                return cached
        data, sha = read_image_file(Path(row.path), max_bytes=self._settings.max_file_bytes)
        decoded = self._decoder.decode(data, row.path, max_side=size)
        buffer = io.BytesIO()
        decoded.image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
        # Named by the bytes actually read: if the file changed since indexing, the catalog's
        # hash no longer describes it and must not name its thumbnail.
        target = self.path_for(sha, size)
        _atomic_write(target, buffer.getvalue())
        return target


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".thumb-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Adding an uploaded image to the library: validate, save under ``HOME/uploads``, index.

The upload is decoded before anything is written, so a file that is not an image never
lands on disk. It is saved under a sanitised, unique name in a per-day folder and then
indexed by the normal :class:`~picsift.indexer.Indexer`, so an upload is indistinguishable
from a file found by ``picsift index``.

Indexing opens its own :class:`~picsift.store.Store` (its own SQLite connection): the
API's shared store keeps serving reads from committed data while this one writes, and the
writer lock refuses a second writer (another upload, or a ``picsift index`` run) with 409.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

from picsift.api.errors import ApiError
from picsift.config import Settings
from picsift.errors import StoreError
from picsift.imaging.sandbox import ImageDecoder
from picsift.indexer import Indexer
from picsift.library.service import LibraryService
from picsift.models.provider import ModelSource
from picsift.store import ImageRow, Store

# Decoded format -> extension the scanner recognises (picsift.indexer.scan.IMAGE_EXTENSIONS).
EXTENSIONS = {
    "JPEG": ".jpg",
    "MPO": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "GIF": ".gif",
    "BMP": ".bmp",
    "TIFF": ".tif",
    "HEIF": ".heic",
    "AVIF": ".avif",
}
_MAX_SUFFIX = 10_000


class Ingest:
    def __init__(self, settings: Settings, models: ModelSource, decoder: ImageDecoder) -> None:
        self._settings = settings
        self._models = models
        self._decoder = decoder
        # Absolute, as the indexer keys rows by absolute path.
        self.folder = Path(os.path.abspath(settings.home)) / "uploads"

    def add(self, data: bytes, name: str, day: date | None = None) -> ImageRow:
        """Store and index one upload (``name`` already sanitised); returns its catalog row."""
        decoded = self._decoder.decode(data, name)
        extension = EXTENSIONS.get(decoded.format)
        if extension is None:
            raise ApiError(
                415,
                "unsupported_image",
                f"{name}: {decoded.format} images can be described or searched with, but not "
                "stored; convert it to JPEG or PNG",
            )
        try:
            path = self._save(data, name, extension, day or date.today())
        except OSError as exc:  # disk full, read-only store: say so, instead of a 500
            raise StoreError(
                f"{name}: cannot save the upload in {self.folder}: {exc.strerror or exc}"
            ) from exc
        try:
            return self._index(path, name)
        except BaseException:
            self._forget(path)
            raise

    def _save(self, data: bytes, name: str, extension: str, day: date) -> Path:
        folder = self.folder / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        stem = Path(name).stem.strip("._-") or "upload"
        # Written under a hidden temporary name the scanner ignores, then moved onto a name
        # claimed with O_EXCL: two uploads with one name never overwrite each other.
        fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            target = _claim(folder, stem, extension)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def _index(self, path: Path, name: str) -> ImageRow:
        with Store.open(self._settings) as store:
            # the server's own store brings the vector index up to date (a large one in the
            # background), so the upload answers without rewriting it
            indexer = Indexer(store, self._models, self._settings, decoder=self._decoder)
            report = (
                LibraryService(store)
                .index(indexer, self._models, self._settings, [path], update_index=False)
                .report
            )
            row = store.images.rows_under(str(path)).get(str(path))
        if row is None or row.status != "ok" or report.errors:
            reason = report.errors[0][1] if report.errors else "it could not be indexed"
            raise ApiError(422, "invalid_image", f"{name}: {reason}")
        return row

    def _forget(self, path: Path) -> None:
        """Undo a failed upload: its file, and any row it left (pending or failed)."""
        path.unlink(missing_ok=True)
        try:
            with Store.open(self._settings) as store:
                row = store.images.rows_under(str(path)).get(str(path))
                if row is not None:
                    store.images.delete([row.id])
        except Exception:  # best effort: the next `picsift index` prunes it anyway
            pass


def _claim(folder: Path, stem: str, extension: str) -> Path:
    """Create ``stem.ext`` or ``stem-N.ext`` exclusively and return it."""
    for n in range(_MAX_SUFFIX):
        candidate = folder / (f"{stem}{extension}" if n == 0 else f"{stem}-{n}{extension}")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            continue
        return candidate
    raise ApiError(409, "name_taken", f"too many uploads named '{stem}{extension}' today")

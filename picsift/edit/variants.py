"""Variant files under ``$PICSIFT_HOME/variants``: written whole or not at all, marked as made
with AI, and swept of anything an interrupted edit left behind.

A variant is saved as PNG (lossless) under a hidden temporary name, marked in its XMP by
exiftool (IPTC ``DigitalSourceType`` = ``compositeWithTrainedAlgorithmicMedia``), fsynced, and
only then renamed into place. Editing processes hold a shared lock on ``variants/.lock`` from
the first byte to the catalog's link; a sweep runs only under :meth:`VariantFiles.exclusive`,
so it only ever removes what a dead process left.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from picsift.metadata.exiftool import ExifTool

# IPTC NewsCodes: "created by a person using AI to change a picture" (IPTC Photo Metadata 2023)
AI_EDITED = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
_TEMP_PREFIX = ".edit-"


class VariantFiles:
    def __init__(self, folder: Path, exiftool: ExifTool) -> None:
        self.folder = Path(os.path.abspath(folder))
        self._exiftool = exiftool

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Held while a variant goes from its first byte to its link in the catalog."""
        with self._lock(fcntl.LOCK_SH):
            yield

    def write(self, image: Image.Image, original: str, marks: dict[str, str], stem: str) -> Path:
        """Save ``image`` as a new marked PNG in the original's folder and return its path."""
        folder = self.folder / original
        folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:8]
        tmp = folder / f"{_TEMP_PREFIX}{token}.png"
        target = folder / f"{stem}-{token}.png"
        try:
            image.save(tmp, format="PNG")
            self._exiftool.write(tmp, {"XMP-iptcExt:DigitalSourceType": AI_EDITED, **marks})
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return target

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        """Yields whether no edit is in flight in any process (and none can start until the
        block ends); False at once when one is."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def sweep(self, linked: set[str]) -> list[Path]:
        """Remove temporary files, and variant files whose path is not in ``linked`` (the
        catalog's variants); call it inside :meth:`exclusive`. Returns what was removed."""
        removed: list[Path] = []
        for path in sorted(self.folder.rglob("*")):
            if path.is_file() and path.name != ".lock" and str(path) not in linked:
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

    @contextmanager
    def _lock(self, mode: int) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)

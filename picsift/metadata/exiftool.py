"""exiftool as a subprocess: the maintained reference for XMP, IPTC and EXIF in every format.

picsift writes metadata only through it (no XMP serialiser of our own). It is a program, not
a Python package: Debian and Ubuntu ship it as ``libimage-exiftool-perl``, Homebrew as
``exiftool``. Arguments go to it as a list (no shell), and each run has a deadline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from picsift.errors import PicsiftError

INSTALL_HINT = (
    "install exiftool (Debian/Ubuntu: apt install libimage-exiftool-perl; macOS: brew install "
    "exiftool) or set PATH to include it"
)


class MetadataError(PicsiftError):
    """Metadata could not be read or written; names the file and the reason."""


class ExifTool:
    def __init__(self, executable: str = "exiftool", timeout: float = 60.0) -> None:
        self._executable = executable
        self._timeout = timeout

    def path(self) -> str | None:
        return shutil.which(self._executable)

    def require(self, why: str) -> str:
        found = self.path()
        if found is None:
            raise MetadataError(f"{why} needs exiftool, which was not found: {INSTALL_HINT}")
        return found

    def write(self, path: Path, tags: Mapping[str, str]) -> None:
        """Set ``tags`` (exiftool names, e.g. ``XMP-dc:Description``) in ``path`` in place,
        keeping every other field. exiftool writes a temporary file and renames it."""
        exe = self.require(f"writing metadata into {path}")
        args = [exe, "-q", "-m", "-overwrite_original", "-charset", "utf8"]
        args += [f"-{name}={value}" for name, value in tags.items()]
        self._run([*args, "--", str(path)], path)

    def read(self, path: Path, *groups: str) -> dict[str, Any]:
        """Fields as ``GROUP:Name`` -> value (``-G1``), of ``groups`` (e.g. ``XMP:all``)."""
        exe = self.require(f"reading metadata of {path}")
        wanted = [f"-{g}" for g in groups]
        out = self._run([exe, "-j", "-G1", "-n", *wanted, "--", str(path)], path)
        try:
            found = json.loads(out or "[{}]")
        except json.JSONDecodeError as exc:
            raise MetadataError(f"{path}: exiftool's answer is not JSON: {exc}") from None
        record: dict[str, Any] = dict(found[0]) if found else {}
        record.pop("SourceFile", None)
        return record

    def _run(self, args: list[str], path: Path) -> str:
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=self._timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise MetadataError(f"{path}: exiftool took over {self._timeout:.0f} s") from None
        except OSError as exc:
            raise MetadataError(f"{path}: exiftool could not run: {exc}") from None
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise MetadataError(f"{path}: exiftool failed: {reason[-1] if reason else 'error'}")
        return done.stdout

"""exiftool as a subprocess: the maintained reference for XMP, IPTC and EXIF in every format.

picsift writes metadata only through it (no XMP serialiser of our own). It is a program, not
a Python package: Debian and Ubuntu ship it as ``libimage-exiftool-perl``, Homebrew as
``exiftool``. Arguments go to it as a list (no shell), and each run has a deadline.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from picsift.errors import PicsiftError

INSTALL_HINT = (
    "install exiftool (Debian/Ubuntu: apt install libimage-exiftool-perl; macOS: brew install "
    "exiftool) or set PATH to include it"
)


class MetadataError(PicsiftError):
    """Metadata could not be read or written; names the file and the reason."""


Value = str | Sequence[str]  # a list-type tag (dc:subject) takes one item per assignment


def _assignments(tags: Mapping[str, Value]) -> list[str]:
    """``-NAME=value`` arguments; a list clears the tag (an empty one) or sets its items."""
    out: list[str] = []
    for name, value in tags.items():
        if isinstance(value, str):
            out.append(f"-{name}={value}")
        elif not value:
            out.append(f"-{name}=")
        else:
            out += [f"-{name}={item}" for item in value]
    return out


class ExifTool:
    def __init__(
        self, executable: str = "exiftool", timeout: float = 60.0, config: Path | None = None
    ) -> None:
        """``config``: an exiftool configuration file (picsift's XMP namespace)."""
        self._executable = executable
        self._timeout = timeout
        self._config = config

    def _command(self, exe: str) -> list[str]:
        # -config must come first; -charset utf8 for file names and values alike
        head = [exe, "-config", str(self._config)] if self._config else [exe]
        return [*head, "-charset", "utf8", "-charset", "filename=utf8"]

    def path(self) -> str | None:
        return shutil.which(self._executable)

    def require(self, why: str) -> str:
        found = self.path()
        if found is None:
            raise MetadataError(f"{why} needs exiftool, which was not found: {INSTALL_HINT}")
        return found

    def write(self, path: Path, tags: Mapping[str, Value]) -> None:
        """Set ``tags`` (exiftool names, e.g. ``XMP-dc:Description``) in ``path`` in place,
        keeping every other field. exiftool writes a temporary file and renames it."""
        exe = self.require(f"writing metadata into {path}")
        args = [*self._command(exe), "-q", "-m", "-overwrite_original", *_assignments(tags)]
        self._run([*args, "--", str(path)], path)

    def new_sidecar(self, source: Path, sidecar: Path, tags: Mapping[str, Value]) -> None:
        """Create the XMP file ``sidecar`` (its name ends ``.xmp``; it must not exist) from
        ``source``'s metadata, then set ``tags`` in it; ``source`` is only read. Two runs:
        in one, the copied fields would win over the assignments."""
        exe = self.require(f"writing the sidecar {sidecar}")
        self._run([*self._command(exe), "-q", "-m", "-o", str(sidecar), "--", str(source)], sidecar)
        self.write(sidecar, tags)

    def packet(self, tags: Mapping[str, Value]) -> bytes:
        """An XMP packet holding only ``tags``, as exiftool writes a new sidecar."""
        exe = self.require("writing an XMP packet")
        with tempfile.TemporaryDirectory(prefix="picsift-xmp-") as folder:
            target = Path(folder) / "packet.xmp"
            self._run(
                [*self._command(exe), "-q", "-m", *_assignments(tags), "-o", str(target)], target
            )
            return target.read_bytes()

    def read(self, path: Path, *groups: str) -> dict[str, Any]:
        """Fields as ``GROUP:Name`` -> value (``-G1``), of ``groups`` (e.g. ``XMP:all``)."""
        exe = self.require(f"reading metadata of {path}")
        wanted = [f"-{g}" for g in groups]
        command = [*self._command(exe), "-j", "-G1", "-n", *wanted]
        out = self._run([*command, "--", str(path)], path)
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

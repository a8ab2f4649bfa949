"""Finding the image files under the paths a user gives, without following directory loops."""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

from picsift.imaging.ahead import FileStat

# Which files are looked at; what they are is then told from their bytes, not their name
# (picsift.imaging.formats), so an ICNS file named .png is still refused as ICNS.
IMAGE_EXTENSIONS = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".webp",
        ".gif",
        ".bmp",
        ".tif",
        ".tiff",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
    }
)
# Image formats picsift does not accept (unless PICSIFT_IMAGE_FORMATS adds them). Their files
# are looked at all the same, so that a run names each one it refuses and why, instead of
# passing over it in silence. Documents, video and data containers are left out.
OTHER_IMAGE_EXTENSIONS = frozenset(
    {
        ".icns", ".ico", ".cur", ".eps", ".epsf", ".ps", ".psd", ".dds", ".fli", ".flc",
        ".sgi", ".rgb", ".rgba", ".bw", ".tga", ".icb", ".vda", ".vst", ".pcx", ".dcx",
        ".qoi", ".jp2", ".j2k", ".jpc", ".jpf", ".jpx", ".j2c", ".jxl", ".ppm", ".pbm",
        ".pgm", ".pnm", ".pfm", ".xbm", ".xpm", ".im", ".msp", ".blp", ".ftc", ".ftu",
        ".gbr", ".pcd", ".ras", ".pxr", ".fit", ".fits", ".wmf", ".emf", ".svg", ".exr",
        ".hdr", ".dib", ".mpo", ".apng", ".jfi", ".jif",
    }
)  # fmt: skip
SCANNED_EXTENSIONS = IMAGE_EXTENSIONS | OTHER_IMAGE_EXTENSIONS


@dataclass
class ScanResult:
    files: list[FileStat] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


def _display(raw: str) -> str:
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _valid_name(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scan(root: Path, result: ScanResult | None = None) -> ScanResult:
    """Image files under ``root`` (a file or a directory), sorted for a stable order: files
    named as any image format, accepted or not (what a file is, is told from its bytes).

        Symlinked files are indexed under their link path; symlinked directories are not entered,
        which rules out loops. Hidden directories are skipped.
    """
    out = result if result is not None else ScanResult()
    if root.is_file():
        _add(str(root), out)
        return out
    if not root.is_dir():
        out.problems.append((str(root), "no such file or directory"))
        return out

    def on_error(exc: OSError) -> None:
        out.problems.append((_display(str(exc.filename)), f"cannot list directory: {exc.strerror}"))

    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if Path(name).suffix.lower() in SCANNED_EXTENSIONS:
                found.append(os.path.join(dirpath, name))
    for path in sorted(found):
        _add(path, out)
    return out


def _add(path: str, out: ScanResult) -> None:
    if not _valid_name(path):
        out.problems.append((_display(path), "file name is not valid UTF-8; rename the file"))
        return
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            reason = "symbolic link loop (it points back to itself)"
        elif os.path.islink(path):
            reason = "broken symbolic link"
        else:
            reason = f"cannot stat: {exc.strerror}"
        out.problems.append((path, reason))
        return
    out.files.append(FileStat(path, st.st_size, st.st_mtime_ns))

"""Safe decoding of untrusted image bytes.

Every failure becomes an :class:`~picsift.errors.ImageError` naming the input and the reason,
so one bad file never stops a run. Policy:

* only formats on the allow-list are opened, each with its own plugin alone, after their
  signature was checked (:mod:`picsift.imaging.formats`); everything else is refused before
  any decoder sees it;
* orientation from EXIF is applied; CMYK, palette, 16-bit, greyscale and alpha become RGB
  (transparency over white); animations give their first frame;
* the decompression-bomb guard counts the pixels that will actually be decoded: JPEGs are
  decoded at a reduced DCT scale (``draft``) when they are larger than needed, so a huge
  JPEG is accepted cheaply while a huge PNG is refused;
* the result is downscaled so its longest side is at most ``max_side``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from picsift.errors import ImageError, UnsupportedImageError
from picsift.imaging.c2pa_manifest import merged, read_c2pa
from picsift.imaging.formats import DEFAULT_FORMATS, Sniffed, sniff
from picsift.imaging.generation import Generation, read_generation

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_DATETIME = 306
_ORIENTATION = 274


@dataclass(frozen=True)
class DecodedImage:
    """Model-ready RGB image plus facts about the original file."""

    image: Image.Image
    width: int
    height: int
    format: str
    taken_at: str | None
    generation: Generation = field(default_factory=Generation)  # how it was made, if it says


def _not_an_image_reason(data: bytes, sniffed: Sniffed) -> str:
    """Why bytes of no accepted format are refused (the 415 family: "not ..." first)."""
    if sniffed.format == "PDF":
        return "not an image: the file is a PDF document"
    if sniffed.format in ("SVG", "HTML"):
        return f"not a supported image: the file is {sniffed.description} text"
    if sniffed.format is not None:
        return f"not a supported image: the file is {sniffed.description}"
    head = data[:512].lstrip()
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "not a recognised image format"
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "not an image: the file is plain text"
    return "not a recognised image format"


def check_format(data: bytes, source: str | Path, allowed: Sequence[str]) -> str:
    """The format ``data`` is in, by its signature; refuses what is not on ``allowed``.

    Runs before any decoder: refused bytes never reach a Pillow plugin.
    """
    if not data:
        raise ImageError(source, "empty file (0 bytes)")
    sniffed = sniff(data)
    if sniffed.format is None or sniffed.format not in allowed:
        reason = _not_an_image_reason(data, sniffed)
        if sniffed.format is not None and sniffed.format not in ("PDF", "SVG", "HTML"):
            reason += f" ({', '.join(allowed)} accepted; PICSIFT_IMAGE_FORMATS)"
        raise UnsupportedImageError(source, reason)
    return sniffed.format


@contextmanager
def _pillow_guard(limit: int) -> Iterator[None]:
    """Pillow's own decompression-bomb check, at ``limit`` for this one decode.

    It is a Pillow module global, so this belongs in a process that decodes one image at a
    time (the sandbox's workers); it is restored afterwards, never switched off.
    """
    before = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limit
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = before


def _bomb_reason(kind: str, message: str, max_pixels: int) -> str:
    found = re.search(r"\((\d+) pixels\)", message)
    declared = f"declares {int(found.group(1)):,} pixels" if found else "declares too many pixels"
    return (
        f"decompression-bomb guard: the {kind} header {declared}, over the limit of "
        f"{max_pixels:,} (PICSIFT_MAX_IMAGE_PIXELS)"
    )


def _text(exc: BaseException) -> str:
    """A decoder's message on one line (libheif's end with a newline)."""
    return " ".join(str(exc).split())


def _register_plugin(fmt: str) -> None:
    if fmt == "HEIF" and "HEIF" not in Image.OPEN:
        from pi_heif import register_heif_opener

        register_heif_opener()


def _taken_at(img: Image.Image) -> str | None:
    """EXIF capture time as ISO 8601, or None; corrupt EXIF is ignored, not fatal."""
    try:
        exif = img.getexif()
        raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
        if not raw:
            return None
        text = raw.decode(errors="ignore") if isinstance(raw, bytes) else str(raw)
        return datetime.strptime(text.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S").isoformat()
    except Exception:
        return None


def _generation(img: Image.Image) -> Generation:
    """The prompt and generator the file's metadata names (read after ``load``: PNG text
    chunks after the pixel data only appear then); metadata never stops a decode."""
    try:
        exif = img.getexif()
        fields = {**exif, **exif.get_ifd(_EXIF_IFD)}
    except Exception:
        fields = {}
    info = {k: v for k, v in img.info.items() if isinstance(k, str)}
    try:
        return read_generation(info, fields)
    except Exception as exc:  # the reader is bounded; a bug in it is this file's problem
        return Generation(problems=(f"metadata unreadable: {type(exc).__name__}",))


def _orientation(img: Image.Image) -> int:
    try:
        value = int(img.getexif().get(_ORIENTATION, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max() if arr.size else 0.0
        scaled = (arr / top * 255.0) if top > 0 else arr
        return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8), "L").convert("RGB")
    if img.mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def decode_image(
    data: bytes,
    source: str | Path,
    *,
    max_pixels: int,
    max_side: int,
    formats: Sequence[str] = DEFAULT_FORMATS,
) -> DecodedImage:
    """Decode ``data`` (named ``source`` in errors) into an RGB image at most ``max_side``.

    Only a format on ``formats`` is opened, with that format's plugin alone. Untrusted bytes
    go through :class:`~picsift.imaging.sandbox.DecodeSandbox`, which runs this function in
    a worker process with memory and time limits.
    """
    kind = check_format(data, source, formats)
    _register_plugin(kind)
    # A JPEG is decoded at up to 1/8 scale per side (``draft``), so its header may declare
    # up to 64x the pixels picsift decodes; the real count is checked below either way.
    guard = max_pixels * 64 if kind == "JPEG" else max_pixels
    with _pillow_guard(guard), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _decode(data, source, kind, max_pixels=max_pixels, max_side=max_side)


def _decode(
    data: bytes, source: str | Path, kind: str, *, max_pixels: int, max_side: int
) -> DecodedImage:
    try:
        img = Image.open(io.BytesIO(data), formats=[kind])
    except Image.DecompressionBombError as exc:
        raise ImageError(source, _bomb_reason(kind, str(exc), max_pixels)) from None
    except UnidentifiedImageError:
        raise ImageError(
            source, f"truncated or corrupt {kind} data (its header cannot be read)"
        ) from None
    except MemoryError:
        raise
    except Exception as exc:
        raise ImageError(
            source, f"truncated or corrupt {kind} data: unreadable image header ({_text(exc)})"
        ) from None

    fmt = img.format or "unknown"
    width, height = img.size
    if width < 1 or height < 1:
        raise ImageError(source, f"invalid image size {width}x{height}")
    orientation = _orientation(img)
    if fmt == "JPEG":
        img.draft("RGB", (max_side, max_side))
    dw, dh = img.size
    if dw * dh > max_pixels:
        raise ImageError(
            source,
            f"decompression-bomb guard: {width}x{height} {fmt} decodes to {dw * dh:,} pixels, "
            f"over the limit of {max_pixels:,} (PICSIFT_MAX_IMAGE_PIXELS)",
        )
    taken_at = _taken_at(img)
    try:
        img.seek(0)
        img.load()
    except MemoryError:
        raise
    except Exception as exc:
        reason = _text(exc) or type(exc).__name__
        if "truncated" in reason.lower() or isinstance(exc, (SyntaxError, EOFError)):
            reason = f"truncated or corrupt {fmt} data ({reason})"
        else:
            reason = f"cannot decode {fmt} data ({reason})"
        raise ImageError(source, reason) from None
    try:
        rgb = _to_rgb(img)
        if orientation != 1:
            rgb = _apply_orientation(rgb, orientation)
        rgb.thumbnail((max_side, max_side), Image.Resampling.BICUBIC, reducing_gap=3.0)
    except MemoryError:
        raise
    except Exception as exc:
        raise ImageError(source, f"cannot convert {fmt} ({img.mode}) to RGB: {exc}") from None
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return DecodedImage(
        image=rgb,
        width=width,
        height=height,
        format=fmt,
        taken_at=taken_at,
        generation=merged(_generation(img), read_c2pa(data, kind)),
    )


_TRANSPOSE = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


def _apply_orientation(img: Image.Image, orientation: int) -> Image.Image:
    for op in _TRANSPOSE.get(orientation, []):
        img = img.transpose(op)
    return img


def read_image_file(path: Path, *, max_bytes: int) -> tuple[bytes, str]:
    """Read a file once, returning its bytes and sha256; refuses what is not a regular file."""
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise ImageError(path, "not a regular file")
        if before.st_size > max_bytes:
            raise ImageError(
                path, f"file is {before.st_size:,} bytes, over the limit of {max_bytes:,}"
            )
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
        after = os.stat(path)
    except ImageError:
        raise
    except PermissionError:
        raise ImageError(path, "permission denied") from None
    except FileNotFoundError:
        raise ImageError(
            path, "file not found (it may have been moved or deleted)", transient=True
        ) from None
    except OSError as exc:
        raise ImageError(path, f"cannot read file: {exc.strerror or exc}") from None
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or len(
        data
    ) != after.st_size:
        raise ImageError(
            path, "file changed while it was being read; run again to index it", transient=True
        )
    return data, hashlib.sha256(data).hexdigest()

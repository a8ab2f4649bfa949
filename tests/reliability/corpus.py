"""A corpus of broken, hostile and odd image files, generated (never committed).

Two layers:

* :func:`byte_cases` are plain bytes with a file name: they go through ``picsift index`` and
  through every endpoint that takes an upload (``POST /describe``, ``/images``,
  ``/search/image``).
* :func:`build_library` writes them into a folder and adds what only a filesystem can hold:
  non-UTF-8 and very long names, symbolic-link loops, broken links, a FIFO, an unreadable
  file.

Every case says what must happen: ``ok`` (handled: indexed / described) or ``error`` with a
fragment of the reason that must be shown, and the HTTP status ``POST /describe`` answers.
"""

from __future__ import annotations

import functools
import io
import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from tests.imaging.samples import allowed_samples, huge_samples, refused_samples

OK = "ok"
ERROR = "error"

# The decoder's default decompression-bomb guard (Settings.max_image_pixels) is 178,956,970
# pixels; the bomb below decodes to 200,000,000 from about 25 KB.
BOMB_SIZE = (20_000, 10_000)


@dataclass(frozen=True)
class Case:
    """One input: its file name, its bytes, and what picsift must make of it."""

    name: str
    data: bytes
    expect: str  # OK or ERROR
    reason: str = ""  # for ERROR: a fragment of the reason (lower case)
    http: int = 200  # POST /describe status
    size: tuple[int, int] | None = None  # for OK: (width, height) as displayed
    note: str = ""


@dataclass(frozen=True)
class FsCase:
    """A filesystem entry of the library and what ``picsift index`` must report for it."""

    path: Path  # may hold surrogate escapes (non-UTF-8 names)
    expect: str
    reason: str = ""
    note: str = ""


@dataclass
class Library:
    folder: Path
    cases: list[FsCase] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (case, why)

    def expected_ok(self) -> list[FsCase]:
        return [c for c in self.cases if c.expect == OK]

    def expected_errors(self) -> list[FsCase]:
        return [c for c in self.cases if c.expect == ERROR]


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _noisy(size: tuple[int, int] = (160, 120), seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """A real 1-bit PNG of ``width`` x ``height`` black pixels: tiny file, huge decode."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    parts = [comp.compress(row * 500) for _ in range(height // 500)]
    parts.append(comp.compress(row * (height % 500)))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (48, 32), c) for c in ("blue", "yellow", "red")]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=40, loop=0)
    return buf.getvalue()


def exif_jpeg(orientation: int | None, *, raw_exif: bytes | None = None) -> bytes:
    """A 60x30 JPEG with a red strip on its left edge and the given EXIF orientation."""
    img = Image.new("RGB", (60, 30), "white")
    img.paste((255, 0, 0), (0, 0, 10, 30))
    if raw_exif is not None:
        return _encode(img, "JPEG", exif=raw_exif)
    exif = Image.Exif()
    if orientation is not None:
        exif[274] = orientation
    exif[306] = "2023:01:02 03:04:05"
    return _encode(img, "JPEG", exif=exif.tobytes())


@functools.cache
def byte_cases() -> tuple[Case, ...]:
    """Every bytes-only case (built once per process, about half a second)."""
    cases: list[Case] = []
    add = cases.append

    add(Case("empty.jpg", b"", ERROR, "empty file", 422))
    for fmt, ext in (("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")):
        data = _encode(_noisy(seed=len(ext)), fmt)
        add(Case(f"truncated.{ext}", data[: len(data) // 2], ERROR, fmt.lower(), 422, note=fmt))
        add(Case(f"header-only.{ext}", data[:40], ERROR, fmt.lower(), 422, note=fmt))
    add(Case("text.jpg", b"shopping list: milk, eggs, bread\n" * 4, ERROR, "plain text", 415))
    add(
        Case(
            "page.jpg",
            b"<!doctype html><html><body><script>alert(1)</script></body></html>",
            ERROR,
            "html",
            415,
        )
    )
    add(
        Case(
            "drawing.png",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
            b'height="10"><rect width="10" height="10"/></svg>',
            ERROR,
            "svg",
            415,
        )
    )
    add(
        Case(
            "document.jpg",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
            ERROR,
            "pdf",
            415,
        )
    )
    add(Case("random.gif", bytes(range(256)) * 8, ERROR, "not a recognised image", 415))
    add(Case("bomb.png", png_bomb(*BOMB_SIZE), ERROR, "decompression-bomb guard", 422))
    png = _encode(_noisy(seed=7), "PNG")
    flipped = bytearray(png)
    flipped[60] ^= 0xFF  # inside the first IDAT chunk's data: its CRC no longer matches
    # Like browsers, PIL does not check IDAT CRCs: one changed byte of stored pixel data is
    # just a changed pixel.
    add(Case("bad-crc.png", bytes(flipped), OK, size=(160, 120), note="IDAT CRC mismatch"))
    renamed = bytearray(png)
    renamed[40] ^= 0xFF  # the first IDAT chunk's type: "IDA\xab"
    add(Case("bad-chunk.png", bytes(renamed), ERROR, "corrupt png", 422))

    add(Case("one-pixel.png", _encode(Image.new("RGB", (1, 1), "red"), "PNG"), OK, size=(1, 1)))
    add(
        Case(
            "panorama.png",
            _encode(Image.new("RGB", (30_000, 200), "green"), "PNG"),
            OK,
            size=(30_000, 200),
        )
    )
    add(Case("tall.gif", _encode(Image.new("P", (1, 5000)), "GIF"), OK, size=(1, 5000)))
    add(
        Case(
            "cmyk.jpg",
            _encode(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), "JPEG"),
            OK,
            size=(64, 48),
        )
    )
    add(
        Case(
            "cmyk.tif",
            _encode(Image.new("CMYK", (64, 48), (255, 0, 255, 0)), "TIFF"),
            OK,
            size=(64, 48),
        )
    )
    ramp = np.linspace(0, 65535, 64 * 48, dtype=np.uint16).reshape(48, 64)
    add(Case("grey16.tif", _encode(Image.fromarray(ramp), "TIFF"), OK, size=(64, 48)))
    add(Case("grey16.png", _encode(Image.fromarray(ramp), "PNG"), OK, size=(64, 48)))
    rgb16 = np.zeros((48, 64, 3), dtype=np.uint16)
    rgb16[..., 0] = 65535
    tiff16 = Image.frombytes("RGB", (64, 48), rgb16.astype(">u2").tobytes(), "raw", "RGB;16B")
    add(Case("rgb16.tif", _encode(tiff16, "TIFF"), OK, size=(64, 48)))
    palette = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    palette.paste((200, 30, 30, 255), (10, 10, 30, 20))
    add(
        Case(
            "palette-alpha.png",
            _encode(palette.convert("P"), "PNG", transparency=0),
            OK,
            size=(40, 30),
        )
    )
    add(
        Case(
            "palette-alpha.gif",
            _encode(palette.convert("P"), "GIF", transparency=0),
            OK,
            size=(40, 30),
        )
    )
    add(
        Case(
            "rgba.webp", _encode(Image.new("RGBA", (40, 30), (0, 0, 255, 90)), "WEBP"), OK, (40, 30)
        )
    )
    add(Case("animated.gif", _animated("GIF"), OK, size=(48, 32)))
    add(Case("animated.webp", _animated("WEBP"), OK, size=(48, 32)))
    for orientation in range(1, 9):
        size = (30, 60) if orientation >= 5 else (60, 30)
        add(Case(f"exif-orientation-{orientation}.jpg", exif_jpeg(orientation), OK, size=size))
    add(Case("exif-orientation-99.jpg", exif_jpeg(99), OK, size=(60, 30), note="out of range"))
    add(Case("exif-corrupt.jpg", exif_jpeg(None, raw_exif=b"Exif\x00\x00garbage!!" * 3), OK))
    # A well-formed TIFF header whose first IFD points far past the end of the block.
    add(
        Case(
            "exif-bad-offset.jpg",
            exif_jpeg(None, raw_exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + b"\x00" * 16),
            OK,
        )
    )
    add(Case("no-extension-jpeg.png", _encode(_noisy(seed=3), "JPEG"), OK, note="JPEG as .png"))
    cases.extend(format_cases())
    return tuple(cases)


def format_cases() -> list[Case]:
    """The format allow-list: a valid file of every accepted format; files of refused
    formats named ``.png`` (the name must not matter), 415; and per accepted format a small
    file declaring huge dimensions, 422."""
    out = [
        Case(f"valid.{s.extension}", s.data, OK, size=s.size, note=s.format)
        for s in allowed_samples()
    ]
    for s in refused_samples():  # under its own extension, and disguised as a PNG
        out.append(Case(f"refused.{s.extension}", s.data, ERROR, s.reason, 415, note=s.format))
        out.append(
            Case(f"refused-{s.format.lower()}.png", s.data, ERROR, s.reason, 415, note=s.format)
        )
    out += [
        Case(f"huge.{s.extension}", s.data, ERROR, s.reason, 422, note=f"huge {s.format}")
        for s in huge_samples()
    ]
    return out


def _write(folder: Path, name: str | bytes, data: bytes) -> Path:
    raw = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else name.encode())
    with open(raw, "wb") as fh:
        fh.write(data)
    return Path(os.fsdecode(raw))


def build_library(folder: Path, *, unreadable: bool = True) -> Library:
    """Write every byte case plus the filesystem-only cases into ``folder``.

    ``unreadable`` adds a ``chmod 000`` file; it only fails to read for a process without
    CAP_DAC_OVERRIDE (root ignores file modes), so the caller decides whether it applies.
    """
    folder.mkdir(parents=True, exist_ok=True)
    lib = Library(folder)
    for case in byte_cases():
        path = _write(folder, case.name, case.data)
        lib.cases.append(FsCase(path, case.expect, case.reason, case.note or case.name))

    good = _encode(_noisy(seed=11), "JPEG")
    # Names: not UTF-8 (Latin-1 bytes), the longest a name may be, and odd but valid ones.
    lib.cases.append(
        FsCase(_write(folder, b"caf\xe9-latin1.jpg", good), ERROR, "not valid utf-8", "latin-1")
    )
    long_name = "l" * (255 - len(".jpg")) + ".jpg"
    lib.cases.append(
        FsCase(_write(folder, long_name, _encode(_noisy(seed=16), "JPEG")), OK, note="255 bytes")
    )
    wide = "é" * 125 + ".jpg"  # 254 bytes of UTF-8
    lib.cases.append(FsCase(_write(folder, wide, _encode(_noisy(seed=12), "JPEG")), OK))
    odd = "a b;c$(d)`e'f\"g\\h\nnewline.jpg"
    lib.cases.append(FsCase(_write(folder, odd, _encode(_noisy(seed=13), "JPEG")), OK))
    deep = folder / ("d" * 200) / ("e" * 200) / ("f" * 200)
    deep.mkdir(parents=True)
    lib.cases.append(FsCase(_write(deep, "deep.jpg", _encode(_noisy(seed=14), "JPEG")), OK))

    # Links: a directory loop (never entered), file loops, a dangling link.
    loops = folder / "loops"
    loops.mkdir()
    (loops / "again").symlink_to(loops, target_is_directory=True)
    (loops / "up").symlink_to(folder, target_is_directory=True)
    (loops / "self.jpg").symlink_to(loops / "self.jpg")
    lib.cases.append(FsCase(loops / "self.jpg", ERROR, "symbolic link loop", "self loop"))
    (loops / "ping.jpg").symlink_to(loops / "pong.jpg")
    (loops / "pong.jpg").symlink_to(loops / "ping.jpg")
    lib.cases.append(FsCase(loops / "ping.jpg", ERROR, "symbolic link loop", "two-link loop"))
    lib.cases.append(FsCase(loops / "pong.jpg", ERROR, "symbolic link loop", "two-link loop"))
    (loops / "dangling.jpg").symlink_to(folder / "nowhere.jpg")
    lib.cases.append(FsCase(loops / "dangling.jpg", ERROR, "broken symbolic link"))
    os.mkfifo(folder / "pipe.jpg")
    lib.cases.append(FsCase(folder / "pipe.jpg", ERROR, "not a regular file", "FIFO"))
    if unreadable:
        locked = _write(folder, "unreadable.jpg", _encode(_noisy(seed=15), "JPEG"))
        locked.chmod(0)
        lib.cases.append(FsCase(locked, ERROR, "permission denied"))
    else:
        lib.skipped.append(("unreadable.jpg", "file modes do not bind this process (root)"))
    return lib


def display(path: Path) -> str:
    """A path as picsift prints it (non-UTF-8 bytes as backslash escapes)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")

"""Generated image files for the format tests: one valid file per accepted format, files in
refused formats, and small files that declare huge dimensions. Nothing here is committed.

The refused files are written by Pillow where it can write that format, and by hand (a
real header) where it cannot (PSD, FLI).
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image

HUGE = 60_000  # declared width and height: 3.6 billion pixels


@dataclass(frozen=True)
class Sample:
    format: str
    extension: str
    data: bytes
    size: tuple[int, int] = (48, 32)
    reason: str = ""  # for refused and huge files: a fragment of the reason, lower case


def encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener  # the dev extra writes HEIC; pi-heif reads

        register_heif_opener()
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _red(mode: str = "RGB") -> Image.Image:
    return Image.new("RGB", (48, 32), (220, 30, 30)).convert(mode)


@functools.cache
def allowed_samples() -> tuple[Sample, ...]:
    out = [
        Sample("JPEG", "jpg", encode(_red(), "JPEG", quality=95)),
        Sample("PNG", "png", encode(_red(), "PNG")),
        Sample("WEBP", "webp", encode(_red(), "WEBP", quality=95)),
        Sample("GIF", "gif", encode(_red("P"), "GIF")),
        Sample("TIFF", "tif", encode(_red(), "TIFF")),
        Sample("BMP", "bmp", encode(_red(), "BMP")),
        Sample("HEIF", "heic", encode(_red(), "HEIF", quality=95)),
        Sample("AVIF", "avif", encode(_red(), "AVIF", quality=95)),
    ]
    return tuple(out)


def _psd() -> bytes:
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 32, 48, 8, 3)
    return header + struct.pack(">I", 0) * 3 + struct.pack(">H", 0) + b"\x00" * (48 * 32 * 3)


def _fli() -> bytes:
    header = struct.pack("<IHHHHHH", 128, 0xAF11, 1, 48, 32, 8, 0) + b"\x00" * 114
    return header + b"\x00" * 64


@functools.cache
def refused_samples() -> tuple[Sample, ...]:
    """Files in formats Pillow could open but picsift refuses, with how the reason names
    each; at least ten formats."""
    rgba = Image.new("RGBA", (64, 64), (220, 30, 30, 255))
    return (
        Sample("ICNS", "icns", encode(rgba, "ICNS"), reason="icns (apple icon)"),
        Sample("EPS", "eps", encode(_red(), "EPS"), reason="postscript/eps"),
        Sample("PSD", "psd", _psd(), reason="photoshop psd"),
        Sample("DDS", "dds", encode(rgba, "DDS"), reason="directdraw surface"),
        Sample("FLI", "fli", _fli(), reason="autodesk fli"),
        Sample("SGI", "sgi", encode(_red(), "SGI"), reason="sgi image"),
        Sample("TGA", "tga", encode(_red(), "TGA"), reason="truevision tga"),
        Sample("PCX", "pcx", encode(_red(), "PCX"), reason="pcx"),
        Sample("QOI", "qoi", encode(_red(), "QOI"), reason="qoi"),
        Sample("ICO", "ico", encode(rgba, "ICO"), reason="windows icon (ico)"),
        Sample("JPEG2000", "jp2", encode(_red(), "JPEG2000"), reason="jpeg 2000"),
        Sample("PPM", "ppm", encode(_red(), "PPM"), reason="netpbm"),
        Sample("XBM", "xbm", encode(_red("1"), "XBM"), reason="x bitmap"),
        Sample("MSP", "msp", encode(_red("1"), "MSP"), reason="microsoft paint"),
    )


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _patched_tiff() -> bytes:
    data = bytearray(encode(_red(), "TIFF"))
    ifd = struct.unpack("<I", data[4:8])[0]
    for k in range(struct.unpack("<H", data[ifd : ifd + 2])[0]):
        entry = ifd + 2 + 12 * k
        tag, kind = struct.unpack("<HH", data[entry : entry + 4])
        if tag in (256, 257):  # ImageWidth, ImageLength
            value = struct.pack("<H", HUGE) + b"\0\0" if kind == 3 else struct.pack("<I", HUGE)
            data[entry + 8 : entry + 12] = value
    return bytes(data)


def _patched(fmt: str, marker: bytes, offset: int, packed: bytes) -> bytes:
    data = bytearray(encode(_red("P" if fmt == "GIF" else "RGB"), fmt))
    at = data.index(marker) + offset
    data[at : at + len(packed)] = packed
    return bytes(data)


@functools.cache
def huge_samples() -> tuple[Sample, ...]:
    """For each accepted format, a file of a few hundred bytes whose header declares
    60,000 x 60,000 pixels (or the format's maximum). Each must be refused (422) quickly."""
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", HUGE, HUGE, 8, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + _chunk(b"IEND", b"")
    )
    gif = bytearray(_patched("GIF", b"GIF8", 6, struct.pack("<HH", 65535, 65535)))
    descriptor = gif.index(b"\x2c", 13)
    gif[descriptor + 5 : descriptor + 9] = struct.pack("<HH", 65535, 65535)
    lossless = encode(Image.new("RGBA", (8, 8), (1, 2, 3, 4)), "WEBP", lossless=True)
    side = (16383).to_bytes(3, "little")
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([0x10, 0, 0, 0]) + side + side
    webp_body = b"WEBP" + vp8x + lossless[12:]
    bomb = "decompression-bomb guard"
    return (
        Sample("PNG", "png", png, reason=bomb),
        Sample("GIF", "gif", bytes(gif), reason=bomb),
        Sample(
            "BMP", "bmp", _patched("BMP", b"BM", 18, struct.pack("<ii", HUGE, HUGE)), reason=bomb
        ),
        Sample("TIFF", "tif", _patched_tiff(), reason=bomb),
        Sample(
            "HEIF",
            "heic",
            _patched("HEIF", b"ispe", 8, struct.pack(">II", HUGE, HUGE)),
            reason="heif",  # libheif's own limit or the guard, by version
        ),
        Sample(
            "JPEG",
            "jpg",
            _patched("JPEG", b"\xff\xc0", 5, struct.pack(">HH", 65535, 65535)),
            reason="jpeg",
        ),
        Sample(
            "WEBP", "webp", b"RIFF" + struct.pack("<I", len(webp_body)) + webp_body, reason="webp"
        ),
        Sample(
            "AVIF",
            "avif",
            _patched("AVIF", b"ispe", 8, struct.pack(">II", HUGE, HUGE)),
            reason="avif",
        ),
    )

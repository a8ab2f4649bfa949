"""Which image formats picsift accepts, told from the bytes alone, before any decoder runs.

Pillow can open dozens of formats, and each plugin is code that parses untrusted bytes: some
allocate before any size check (ICNS grew to 24 GB from a 240 KB file), and EPS hands the
bytes to Ghostscript. So the format is read from the file's signature (its magic numbers)
here, in plain Python, and only a format on the allow-list is ever opened, with exactly that
one plugin (``Image.open(..., formats=[name])``). A file's name or extension counts for
nothing: an ICNS file renamed to ``.png`` is still ICNS.

Refused formats are named when their signature is known, so the error says what the file
is ("ICNS images are not accepted"), not just that it is not something else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

# The safe default: what cameras, phones, browsers and image generators produce.
DEFAULT_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "HEIF", "AVIF")

# Formats that may be added to the allow-list (each has a signature below and a maintained
# decoder). HEIF comes from pi-heif, the decode-only build of pillow-heif (libheif +
# libde265); AVIF is Pillow's own plugin (libavif). Everything else is Pillow's built-in
# plugin of that name.
ALLOWABLE: frozenset[str] = frozenset(
    {*DEFAULT_FORMATS, "ICO", "PPM", "QOI", "TGA", "PSD", "JPEG2000", "DDS", "PCX", "SGI"}
)
# Never allowed, whatever the settings say: Pillow runs Ghostscript (EPS, and PDF-like
# PostScript) or an OS handler (WMF/EMF) for these.
FORBIDDEN: frozenset[str] = frozenset({"EPS", "PDF", "WMF"})


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes say a file is: a format name, or None for "no idea"."""

    format: str | None
    description: str  # for messages: "ICNS (Apple icon)", "PDF document"


def _ftyp(data: bytes) -> str | None:
    """ISO base media files (HEIF, AVIF, MP4, ...) by their ``ftyp`` brands."""
    if data[4:8] != b"ftyp" or len(data) < 12:
        return None
    size = int.from_bytes(data[0:4], "big")
    brands = {data[8:12]}
    end = min(max(size, 16), len(data), 256)
    brands.update(data[i : i + 4] for i in range(16, end - 3, 4))
    if brands & {b"avif", b"avis"}:
        return "AVIF"
    if brands & {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}:
        return "HEIF"
    if brands & {b"jp2 ", b"jpx "}:
        return "JPEG2000"
    return "MP4"


def _text(data: bytes) -> str | None:
    head = data[:512].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if head[:1] == b"<":
        return "SVG" if b"<svg" in data[:2048].lower() else "HTML"
    return None


# (test, format, description). Order matters only where signatures overlap.
_Rule = tuple[Callable[[bytes], bool], str, str]


def _starts(*magics: bytes) -> Callable[[bytes], bool]:
    return lambda data: data.startswith(magics)


def _bmp(data: bytes) -> bool:
    # "BM" alone is too weak (text can start with it): the DIB header size must be a real one.
    return data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _DIB_SIZES


_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


def _ppm(data: bytes) -> bool:
    return len(data) > 2 and data[:1] == b"P" and data[1:2] in b"1234567fF" and data[2:3].isspace()


def _tga(data: bytes) -> bool:
    return data[-18:-2] == b"TRUEVISION-XFILE"


def _pcx(data: bytes) -> bool:
    return len(data) >= 128 and data[0] == 0x0A and data[1] in (0, 2, 3, 4, 5) and data[2] == 1


def _fli(data: bytes) -> bool:
    return len(data) >= 128 and data[4:6] in (b"\x11\xaf", b"\x12\xaf")


def _gbr(data: bytes) -> bool:
    return data[20:24] == b"GIMP"


_RULES: tuple[_Rule, ...] = (
    (_tga, "TGA", "Truevision TGA"),  # a footer; its header can look like an ICO or CUR
    (_starts(b"\xff\xd8\xff"), "JPEG", "JPEG"),
    (_starts(b"\x89PNG\r\n\x1a\n"), "PNG", "PNG"),
    (lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP", "WEBP", "WebP"),
    (_starts(b"GIF87a", b"GIF89a"), "GIF", "GIF"),
    (_starts(b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"), "TIFF", "TIFF"),
    (_bmp, "BMP", "BMP"),
    (_starts(b"icns"), "ICNS", "ICNS (Apple icon)"),
    (_starts(b"%!PS", b"\xc5\xd0\xd3\xc6"), "EPS", "PostScript/EPS"),
    (_starts(b"%PDF"), "PDF", "PDF document"),
    (_starts(b"8BPS"), "PSD", "Photoshop PSD"),
    (_starts(b"DDS "), "DDS", "DirectDraw Surface (DDS)"),
    (_starts(b"\x01\xda"), "SGI", "SGI image"),
    (_starts(b"qoif"), "QOI", "QOI"),
    (_starts(b"\x00\x00\x01\x00"), "ICO", "Windows icon (ICO)"),
    (_starts(b"\x00\x00\x02\x00"), "CUR", "Windows cursor (CUR)"),
    (_starts(b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51"), "JPEG2000", "JPEG 2000"),
    (_starts(b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n"), "JXL", "JPEG XL"),
    (_starts(b"BLP1", b"BLP2"), "BLP", "Blizzard BLP texture"),
    (_starts(b"SIMPLE  ="), "FITS", "FITS astronomy image"),
    (_starts(b"FTEX"), "FTEX", "Firaxis texture (FTEX)"),
    (_starts(b"DanM", b"LinS"), "MSP", "Microsoft Paint (MSP)"),
    (_starts(b"\x59\xa6\x6a\x95"), "SUN", "Sun raster"),
    (_starts(b"Image type:"), "IM", "IFUNC image (IM)"),
    (_starts(b"\x80\xe8\x00\x00"), "PIXAR", "Pixar image"),
    (_starts(b"\xd7\xcd\xc6\x9a"), "WMF", "Windows metafile (WMF)"),
    (lambda d: d[:4] == b"\x01\x00\x00\x00" and d[40:44] == b" EMF", "WMF", "Windows EMF"),
    (_starts(b"\xb1\x68\xde\x3a"), "DCX", "Intel DCX"),
    (_starts(b"GRIB"), "GRIB", "GRIB weather data"),
    (_starts(b"BUFR"), "BUFR", "BUFR weather data"),
    (_starts(b"\x89HDF\r\n\x1a\n"), "HDF5", "HDF5 data"),
    (_starts(b"\x00\x00\x01\xb3", b"\x00\x00\x01\xba"), "MPEG", "MPEG video"),
    (_starts(b"P7 332"), "XVTHUMB", "XV thumbnail"),
    (_starts(b"#define"), "XBM", "X bitmap (XBM)"),
    (_starts(b"/* XPM */"), "XPM", "X pixmap (XPM)"),
    (_starts(b"\x76\x2f\x31\x01"), "EXR", "OpenEXR"),
    (_starts(b"#?RADIANCE", b"#?RGBE"), "HDR", "Radiance HDR"),
    (_starts(b"PK\x03\x04"), "ZIP", "ZIP archive"),
    (_starts(b"\x1f\x8b"), "GZIP", "gzip archive"),
    (_starts(b"RIFF"), "RIFF", "RIFF container (audio or video)"),
    (_ppm, "PPM", "Netpbm (PBM/PGM/PPM/PFM)"),
    (_gbr, "GBR", "GIMP brush"),
    (_fli, "FLI", "Autodesk FLI/FLC animation"),
    (_pcx, "PCX", "PCX"),
)

_DESCRIPTIONS = {fmt: text for _, fmt, text in _RULES} | {
    "HEIF": "HEIF/HEIC",
    "AVIF": "AVIF",
    "MP4": "MP4/QuickTime video",
    "SVG": "SVG",
    "HTML": "HTML/XML",
}


def sniff(data: bytes) -> Sniffed:
    """The format ``data`` declares by its signature (no decoder runs)."""
    if (fmt := _ftyp(data)) is not None:
        return Sniffed(fmt, _DESCRIPTIONS[fmt])
    for test, fmt, text in _RULES:
        if test(data):
            return Sniffed(fmt, text)
    if (fmt := _text(data)) is not None:
        return Sniffed(fmt, _DESCRIPTIONS[fmt])
    return Sniffed(None, "unknown")


def describe_format(fmt: str) -> str:
    return _DESCRIPTIONS.get(fmt, fmt)


def check_allowed(formats: Iterable[str]) -> tuple[str, ...]:
    """Normalise a configured allow-list, refusing unknown and never-allowed names."""
    names = tuple(dict.fromkeys(f.strip().upper() for f in formats if f.strip()))
    if forbidden := sorted(set(names) & FORBIDDEN):
        raise ValueError(
            f"{', '.join(forbidden)} can never be allowed: Pillow hands such files to "
            "Ghostscript or an OS handler"
        )
    if unknown := sorted(set(names) - ALLOWABLE):
        raise ValueError(
            f"unknown or unsupported image formats {unknown}; choose from {sorted(ALLOWABLE)}"
        )
    if not names:
        raise ValueError("the image format allow-list is empty: nothing could be read")
    return names

"""Decoding untrusted bytes: every odd input is either handled or refused with its reason."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from picsift.errors import ImageError
from picsift.imaging import decode_image, read_image_file


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _decode(data: bytes, *, max_pixels: int = 50_000_000, max_side: int = 256):
    return decode_image(data, "in.img", max_pixels=max_pixels, max_side=max_side)


def test_rgb_jpeg_downscaled_and_facts_kept() -> None:
    d = _decode(_encode(Image.new("RGB", (1200, 600), "red"), "JPEG"))
    assert d.image.mode == "RGB"
    assert max(d.image.size) <= 256
    assert (d.width, d.height, d.format) == (1200, 600, "JPEG")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"hello, I am text\n", "plain text"),
        (b"<!doctype html><html><body>hi</body></html>", "HTML"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\x00\x01\x02\x03garbage" * 10, "not a recognised image"),
    ],
)
def test_not_images_are_named_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageError) as info:
        _decode(data)
    assert reason in str(info.value)
    assert str(info.value).startswith("in.img:")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_truncated_files_are_refused(fmt: str) -> None:
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8))
    data = _encode(noisy, fmt)
    with pytest.raises(ImageError) as info:
        _decode(data[: len(data) // 2])
    assert "in.img" in str(info.value)


def test_cmyk_becomes_rgb() -> None:
    d = _decode(_encode(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG"))
    r, g, b = d.image.getpixel((32, 32))
    assert d.image.mode == "RGB" and r > 200 and g < 60 and b < 60


def test_16bit_greyscale_is_scaled_not_clipped() -> None:
    arr = np.linspace(0, 65535, 64 * 64, dtype=np.uint16).reshape(64, 64)
    d = _decode(_encode(Image.fromarray(arr), "PNG"))
    px = np.asarray(d.image)
    assert d.image.mode == "RGB" and px.min() == 0 and px.max() == 255


def test_palette_transparency_goes_over_white() -> None:
    img = Image.new("RGBA", (32, 32), (0, 0, 0, 0)).convert("P")
    d = _decode(_encode(img, "PNG", transparency=0))
    assert d.image.getpixel((5, 5)) == (255, 255, 255)


def test_animated_gif_gives_first_frame() -> None:
    frames = [Image.new("RGB", (40, 40), c) for c in ("blue", "yellow")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50)
    r, _g, b = _decode(buf.getvalue()).image.getpixel((20, 20))
    assert b > 200 and r < 50


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (200, 100), "white")
    img.paste((255, 0, 0), (0, 0, 20, 100))  # red strip on the left edge
    exif = Image.Exif()
    exif[274] = 6  # rotate 90 CW to display
    exif[306] = "2024:05:06 07:08:09"
    d = _decode(_encode(img, "JPEG", exif=exif.tobytes()))
    assert (d.width, d.height) == (100, 200)
    assert d.taken_at == "2024-05-06T07:08:09"
    top = np.asarray(d.image)[:10].mean((0, 1))
    assert top[0] > 200 and top[1] < 80  # the red strip is now at the top


def test_corrupt_exif_is_ignored() -> None:
    data = _encode(Image.new("RGB", (50, 50), "green"), "JPEG", exif=b"Exif\x00\x00garbage!!")
    assert _decode(data).taken_at is None


def test_huge_jpeg_is_decoded_at_reduced_scale() -> None:
    data = _encode(Image.new("RGB", (4000, 4000), "blue"), "JPEG")
    d = _decode(data, max_pixels=1_000_000, max_side=256)
    assert (d.width, d.height) == (4000, 4000) and max(d.image.size) <= 256


def test_huge_png_hits_the_bomb_guard() -> None:
    data = _encode(Image.new("L", (4000, 4000)), "PNG")
    with pytest.raises(ImageError, match="decompression-bomb guard"):
        _decode(data, max_pixels=1_000_000)


@pytest.mark.parametrize("size", [(1, 1), (3000, 20)])
def test_extreme_shapes(size: tuple[int, int]) -> None:
    d = _decode(_encode(Image.new("RGB", size, "red"), "PNG"))
    assert d.image.size[0] >= 1 and d.image.size[1] >= 1


def test_read_refuses_directories_and_oversize(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="not a regular file"):
        read_image_file(tmp_path, max_bytes=100)
    big = tmp_path / "big.jpg"
    big.write_bytes(b"x" * 200)
    with pytest.raises(ImageError, match="over the limit"):
        read_image_file(big, max_bytes=100)
    with pytest.raises(ImageError, match="not found"):
        read_image_file(tmp_path / "missing.jpg", max_bytes=100)

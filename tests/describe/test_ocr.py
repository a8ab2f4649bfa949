"""Text in the image with the real RapidOCR weights, on text rendered here at known sizes."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from picsift.describe.ocr import OcrReader

SAMPLES = ["Grand Hotel Lobby", "SUMMER SALE 50%"]


def _edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _render(text: str, size: int, bg: str, fg: str) -> Image.Image:
    font = ImageFont.load_default(size=size)  # ships with Pillow: no system font needed
    width = int(font.getlength(text)) + 2 * size
    img = Image.new("RGB", (width, size * 3), bg)
    ImageDraw.Draw(img).text((size, size), text, fill=fg, font=font)
    return img


@pytest.fixture(scope="module")
def reader() -> OcrReader:
    return OcrReader()


def test_clear_text_of_24px_and_up_is_read(reader: OcrReader) -> None:
    total_chars, total_errors = 0, 0
    for size in (24, 32, 48):
        for bg, fg in (("white", "black"), ("#1e2a44", "white"), ("#d8d0c0", "#5a1010")):
            for text in SAMPLES:
                read = reader.read(_render(text, size, bg, fg)) or ""
                total_chars += len(text)
                total_errors += _edit_distance(text.lower(), read.lower())
    accuracy = 1 - total_errors / total_chars
    print(f"character accuracy {accuracy:.4f} over {total_chars} characters")
    assert accuracy >= 0.95, accuracy


def test_no_text_gives_none_and_lines_are_in_reading_order(reader: OcrReader) -> None:
    assert reader.read(Image.new("RGB", (200, 100), "white")) is None
    font = ImageFont.load_default(size=32)
    img = Image.new("RGB", (520, 220), "white")
    draw = ImageDraw.Draw(img)
    draw.text((20, 20), "first line", fill="black", font=font)
    draw.text((20, 120), "second line", fill="black", font=font)
    assert [t.text.lower() for t in reader.lines(img)] == ["first line", "second line"]

"""Render an OCR test set: sign and shop phrases in 8 fonts, 16-64 px, dark on light and light
on dark, on plain backgrounds and on busy photos, plus photos with no text at all.

Writes ``OUT/images/*.png`` and ``OUT/references.jsonl`` (``{"file", "text"}``, ``""`` for
the photos without text) for ``picsift eval ocr``. Deterministic (seeded). The photos are the
bundled CC0 samples (``data/samples``); fonts are Debian's DejaVu and Liberation families.

Two splits, ``--split tune`` and ``--split test``, use different phrases, so thresholds chosen
on one are measured on the other:

    .venv/bin/python bench/make_ocr_set.py --split test --out /tmp/ocr-test
    .venv/bin/picsift eval ocr --references /tmp/ocr-test/references.jsonl \\
        --images /tmp/ocr-test/images
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageStat

REPO = Path(__file__).resolve().parent.parent
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationSerif-Regular.ttf",
    "LiberationMono-Regular.ttf",
    "LiberationSansNarrow-Regular.ttf",
)
SIZES = (16, 24, 32, 48, 64)
# Sample photos with printed text of their own (a cap's "LORO PARQUE", a sweater's "ALL FREE
# WHEELS ROCK", shoe and label prints): checked by eye, left out of the backgrounds so every
# reference holds all the text in its picture.
WITH_TEXT = {
    "hat-d56b676e.jpg",
    "longsleeve-93ffa333.jpg",
    "pants-9cb9ae19.jpg",
    "shoes-5d147b66.jpg",
    "shoes-fe177283.jpg",
    "t-shirt-8f232458.jpg",
}
PHRASES = {
    "tune": [
        "Sea view suite 204",
        "Room service",
        "Open 24 hours",
        "Summer sale 50% off",
        "Check-in from 3 pm",
        "Free Wi-Fi",
        "Pool closed today",
        "Gift shop",
        "New collection",
        "Price 19.99",
        "Late checkout",
        "Family room 12",
    ],
    "test": [
        "Breakfast 7 to 10",
        "Fresh coffee",
        "Reception",
        "No smoking",
        "Spa and wellness",
        "Parking level 2",
        "Laundry service",
        "Welcome to Lisbon",
        "Mini bar",
        "Winter sale 30% off",
        "Garden suite 118",
        "Bar open until midnight",
    ],
}


def _font(name: str, size: int) -> ImageFont.FreeTypeFont | None:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return ImageFont.truetype(str(folder / name), size)
    return None


def _photo_crop(photos: list[Path], rng: random.Random, size: tuple[int, int]) -> Image.Image:
    with Image.open(rng.choice(photos)) as im:
        photo = im.convert("RGB")
    scale = max(size[0] / photo.width, size[1] / photo.height)
    photo = photo.resize((int(photo.width * scale) + 1, int(photo.height * scale) + 1))
    x = rng.randint(0, photo.width - size[0])
    y = rng.randint(0, photo.height - size[1])
    return photo.crop((x, y, x + size[0], y + size[1]))


def render(
    text: str, font: ImageFont.FreeTypeFont, dark_on_light: bool, background: Image.Image | None
) -> Image.Image:
    left, top, right, bottom = font.getbbox(text)
    pad = max(12, font.size)
    size = (right - left + 2 * pad, bottom - top + 2 * pad)
    light, dark = (245, 242, 235), (25, 28, 32)
    if background is None:
        image = Image.new("RGB", size, light if dark_on_light else dark)
        ink, outline = (dark if dark_on_light else light), None
    else:
        image = background
        mean = sum(ImageStat.Stat(image.convert("L")).mean) / 1
        ink = dark if mean > 128 else light  # text chosen to stand out, as on real overlays
        outline = light if ink == dark else dark
    draw = ImageDraw.Draw(image)
    stroke = max(1, font.size // 16) if outline else 0
    draw.text(
        (pad - left, pad - top), text, font=font, fill=ink, stroke_width=stroke, stroke_fill=outline
    )
    return image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", choices=sorted(PHRASES), default="test")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--no-text", type=int, default=20, help="photo crops without any text")
    args = ap.parse_args()
    rng = random.Random(f"picsift-ocr-{args.split}")
    photos = [
        p for p in sorted((REPO / "data" / "samples").glob("*.jpg")) if p.name not in WITH_TEXT
    ]
    folder = args.out / "images"
    folder.mkdir(parents=True, exist_ok=True)
    fonts = [f for f in FONTS if _font(f, 16) is not None]
    if len(fonts) < 6:
        raise SystemExit(f"need at least 6 of the fonts {FONTS}; found {fonts}")
    references = []
    for n, text in enumerate(PHRASES[args.split]):
        for font_name in fonts:
            size = rng.choice(SIZES)
            font = _font(font_name, size)
            assert font is not None
            dark_on_light = rng.random() < 0.5
            on_photo = rng.random() < 0.5
            plain = render(text, font, dark_on_light, None)
            background = _photo_crop(photos, rng, plain.size) if on_photo else None
            image = render(text, font, dark_on_light, background) if on_photo else plain
            name = f"p{n:02d}-{Path(font_name).stem}-{size}{'-photo' if on_photo else ''}.png"
            image.save(folder / name)
            references.append({"file": name, "text": text})
    for n in range(args.no_text):
        crop = _photo_crop(photos, rng, (rng.randint(200, 500), rng.randint(120, 400)))
        name = f"notext-{n:02d}.png"
        crop.save(folder / name)
        references.append({"file": name, "text": ""})
    lines = "".join(json.dumps(r) + "\n" for r in references)
    (args.out / "references.jsonl").write_text(lines, "utf-8")
    print(f"{len(references)} images ({len(fonts)} fonts) in {folder}")


if __name__ == "__main__":
    main()

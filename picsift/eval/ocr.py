"""``picsift eval ocr``: the text facet against known text (character and word accuracy)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from picsift.config import Settings
from picsift.describe.ocr import OcrReader
from picsift.errors import ImageError, PicsiftError
from picsift.eval.metrics import text_accuracy
from picsift.imaging import decode_image


@dataclass
class OcrScores:
    images: int
    skipped: list[str]
    char_accuracy: float
    word_accuracy: float
    seconds_per_image: float
    worst: list[dict[str, Any]]  # the files with most errors, to look at

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_text_references(path: Path) -> list[tuple[str, str]]:
    """JSONL lines ``{"file": ..., "text": ...}``."""
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PicsiftError(f"cannot read references {path}: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item["file"], str) or not isinstance(item["text"], str):
                raise TypeError("file and text must be strings")
        except (ValueError, KeyError, TypeError) as exc:
            raise PicsiftError(
                f'{path}:{number}: expected {{"file": ..., "text": ...}} ({exc})'
            ) from None
        out.append((item["file"], item["text"]))
    if not out:
        raise PicsiftError(f"{path}: no references")
    return out


def evaluate_ocr(
    references: list[tuple[str, str]], images_dir: Path, settings: Settings
) -> OcrScores:
    reader = OcrReader()
    got, want, files, skipped = [], [], [], []
    elapsed = 0.0
    for file, text in references:
        path = images_dir / file
        try:
            image = decode_image(
                path.read_bytes(),
                str(path),
                max_pixels=settings.max_image_pixels,
                max_side=settings.max_side,
            ).image
        except (OSError, ImageError) as exc:
            skipped.append(f"{file}: {getattr(exc, 'reason', exc)}")
            continue
        start = time.perf_counter()
        got.append(reader.read(image) or "")
        elapsed += time.perf_counter() - start
        want.append(text)
        files.append(file)
    if not got:
        raise PicsiftError(f"none of the referenced images could be read under {images_dir}")
    per_file: list[dict[str, Any]] = [
        {"file": f, "expected": w, "read": g, "char_accuracy": round(text_accuracy([g], [w]), 4)}
        for f, g, w in zip(files, got, want, strict=True)
    ]
    return OcrScores(
        images=len(got),
        skipped=skipped,
        char_accuracy=round(text_accuracy(got, want), 4),
        word_accuracy=round(text_accuracy(got, want, "word"), 4),
        seconds_per_image=round(elapsed / len(got), 3),
        worst=sorted(per_file, key=lambda d: d["char_accuracy"])[:10],
    )

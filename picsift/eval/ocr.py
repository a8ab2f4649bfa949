"""``picsift eval ocr``: the text facet against known text (character and word accuracy)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from picsift.config import Settings
from picsift.describe.ocr import OcrReader
from picsift.errors import PicsiftError
from picsift.eval.files import decode_all, read_jsonl
from picsift.eval.metrics import text_accuracy

FORMAT = '{"file": ..., "text": ...}'


@dataclass
class OcrScores:
    images: int
    skipped: list[str]
    char_accuracy: float
    word_accuracy: float
    seconds_per_image: float
    # pictures whose reference is "" (no text in them) where the facet read some anyway
    no_text_images: int
    invented: int
    worst: list[dict[str, Any]]  # the files with most errors, to look at

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _accuracy(got: str, want: str) -> float:
    """One file's character accuracy; for a picture without text, 1 if nothing was read."""
    if not want.strip():
        return 0.0 if got.strip() else 1.0
    return text_accuracy([got], [want])


def load_text_references(path: Path) -> list[tuple[str, str]]:
    """JSONL lines ``{"file": ..., "text": ...}``."""
    out = []
    for number, item in read_jsonl(path, FORMAT):
        if not isinstance(item.get("file"), str) or not isinstance(item.get("text"), str):
            raise PicsiftError(f"{path}:{number}: expected {FORMAT} with text values")
        out.append((item["file"], item["text"]))
    return out


def evaluate_ocr(
    references: list[tuple[str, str]], images_dir: Path, settings: Settings
) -> OcrScores:
    reader = OcrReader()
    images, skipped = decode_all(images_dir, [f for f, _ in references], settings)
    got, want, files = [], [], []
    elapsed = 0.0
    for file, text in references:
        if file not in images:
            continue
        start = time.perf_counter()
        got.append(reader.read(images[file]) or "")
        elapsed += time.perf_counter() - start
        want.append(text)
        files.append(file)
    per_file: list[dict[str, Any]] = [
        {"file": f, "expected": w, "read": g, "char_accuracy": round(_accuracy(g, w), 4)}
        for f, g, w in zip(files, got, want, strict=True)
    ]
    return OcrScores(
        images=len(got),
        skipped=skipped,
        char_accuracy=round(text_accuracy(got, want), 4),
        word_accuracy=round(text_accuracy(got, want, "word"), 4),
        seconds_per_image=round(elapsed / len(got), 3),
        no_text_images=sum(1 for w in want if not w.strip()),
        invented=sum(1 for g, w in zip(got, want, strict=True) if g.strip() and not w.strip()),
        worst=sorted(per_file, key=lambda d: d["char_accuracy"])[:10],
    )

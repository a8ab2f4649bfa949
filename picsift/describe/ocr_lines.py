"""Turning RapidOCR's raw detections into lines of text: pure functions, no model.

PP-OCR's detector often cuts one line of text into overlapping boxes; each box's recogniser
then reads the letters at the seam twice ("Sea view suite 2" + "204") or invents punctuation
from half a letter ("Open:" + "24 hours"). With the per-character boxes the recogniser
reports (``return_word_box=True``), boxes on one row are merged at the middle of their
overlap: each side keeps only the letters on its side of the cut, and punctuation read
inside the overlap is dropped. Rows are found by vertical overlap and read left to right,
top to bottom. Lines below a confidence (measured on a rendered tuning set,
``bench/make_ocr_set.py``) are dropped: on photos without text they are the invented ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels
# Two boxes meeting at a gap wider than this share of the text height are two words: letters
# of one word sit at most 0.07 heights apart in the character boxes (tuning set).
SPACE_GAP = 0.2


@dataclass(frozen=True)
class Piece:
    """One detected box: its text, confidence, box and per-character x spans (if known)."""

    text: str
    confidence: float
    box: Box
    chars: tuple[tuple[str, float, float], ...] = ()  # (character, x0, x1)


@dataclass(frozen=True)
class TextLine:
    text: str
    confidence: float
    box: Box


def pieces(raw: Any) -> list[Piece]:
    """RapidOCR's result rows (``[points, text, score]``, plus character boxes and letters
    when asked for word boxes) as :class:`Piece`."""
    out = []
    for row in raw or []:
        points, text, score = row[0], str(row[1]), float(row[2])
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        chars: tuple[tuple[str, float, float], ...] = ()
        if len(row) >= 5 and len(row[3]) == len(row[4]) == len(text):
            chars = tuple(
                (c, min(p[0] for p in b), max(p[0] for p in b))
                for c, b in zip(row[4], row[3], strict=True)
            )
        out.append(Piece(text, score, (min(xs), min(ys), max(xs), max(ys)), chars))
    return out


def _same_row(a: Box, b: Box) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap > 0.5 * min(a[3] - a[1], b[3] - b[1])


def rows(found: list[Piece]) -> list[list[Piece]]:
    """Pieces grouped into rows (vertical overlap), rows top to bottom, each left to right."""
    grouped: list[list[Piece]] = []
    for piece in sorted(found, key=lambda p: (p.box[1] + p.box[3]) / 2):
        row = next((r for r in grouped if any(_same_row(piece.box, q.box) for q in r)), None)
        if row is None:
            grouped.append([piece])
        else:
            row.append(piece)
    return [sorted(r, key=lambda p: p.box[0]) for r in grouped]


def _centre(char: tuple[str, float, float]) -> float:
    return (char[1] + char[2]) / 2


def merge_row(row: list[Piece]) -> TextLine:
    """One row's pieces as one line, letters read twice at a seam kept once."""
    box = (
        min(p.box[0] for p in row),
        min(p.box[1] for p in row),
        max(p.box[2] for p in row),
        max(p.box[3] for p in row),
    )
    confidence = min(p.confidence for p in row)
    if any(not p.chars for p in row):  # no character boxes: the pieces side by side
        return TextLine(" ".join(" ".join(p.text for p in row).split()), confidence, box)
    kept: list[tuple[str, float, float]] = []
    for prev, piece in zip([None, *row[:-1]], row, strict=True):
        chars = list(piece.chars)
        if prev is not None and prev.box[2] > piece.box[0]:  # overlapping boxes: one seam
            start, end = piece.box[0], prev.box[2]
            cut = (start + end) / 2

            def noise(c: tuple[str, float, float], lo: float = start, hi: float = end) -> bool:
                return not c[0].isalnum() and lo <= _centre(c) <= hi

            # a space either reading saw near the seam is a word break there
            margin = 0.5 * (piece.box[3] - piece.box[1])
            spaced = any(
                c[0] == " " and start - margin <= _centre(c) <= end + margin for c in kept + chars
            )
            kept = [c for c in kept if _centre(c) < cut and not noise(c)]
            chars = [c for c in chars if _centre(c) >= cut and not noise(c)]
            if kept and chars and " " not in (kept[-1][0], chars[0][0]):
                height = min(piece.box[3] - piece.box[1], prev.box[3] - prev.box[1])
                if spaced or chars[0][1] - kept[-1][2] > SPACE_GAP * height:
                    kept.append((" ", cut, cut))
        elif kept:
            kept.append((" ", kept[-1][2], kept[-1][2]))
        kept += chars
    return TextLine(" ".join("".join(c[0] for c in kept).split()), confidence, box)


def read_lines(found: list[Piece], min_confidence: float) -> list[TextLine]:
    """Confident pieces, merged into lines in reading order."""
    confident = [p for p in found if p.confidence >= min_confidence and p.text.strip()]
    return [line for line in map(merge_row, rows(confident)) if line.text]

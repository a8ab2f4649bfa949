"""Text in the image, read with RapidOCR (PP-OCRv4 ONNX weights ship inside its wheel).

The engine loads lazily, once per reader, behind a lock; lines are returned top to bottom,
left to right, with their confidence, and joined into one searchable string.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from picsift.errors import ModelUnavailableError

MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class TextLine:
    text: str
    confidence: float
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


class OcrReader:
    def __init__(self, min_confidence: float = MIN_CONFIDENCE) -> None:
        self._engine: Any = None
        self._lock = threading.Lock()
        self._min_confidence = min_confidence

    def _get(self) -> Any:
        with self._lock:
            if self._engine is None:
                try:
                    from rapidocr_onnxruntime import RapidOCR
                except ImportError as exc:
                    raise ModelUnavailableError(
                        "the text facet needs rapidocr-onnxruntime (pip install "
                        f"rapidocr-onnxruntime): {exc}"
                    ) from None
                self._engine = RapidOCR()
            return self._engine

    def lines(self, image: Image.Image) -> list[TextLine]:
        engine = self._get()
        with self._lock:  # one engine, possibly shared by decode threads: one call at a time
            result, _ = engine(np.asarray(image.convert("RGB")))
        out = []
        for box, text, score in result or []:
            if float(score) < self._min_confidence or not str(text).strip():
                continue
            xs, ys = [p[0] for p in box], [p[1] for p in box]
            out.append(
                TextLine(str(text).strip(), float(score), (min(xs), min(ys), max(xs), max(ys)))
            )
        # reading order: rows (by the line's vertical centre, in bands of its height), then x
        return sorted(
            out,
            key=lambda t: (
                round((t.box[1] + t.box[3]) / 2 / max(8.0, t.box[3] - t.box[1])),
                t.box[0],
            ),
        )

    def read(self, image: Image.Image) -> str | None:
        found = self.lines(image)
        return " ".join(t.text for t in found) if found else None

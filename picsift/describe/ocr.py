"""Text in the image, read with RapidOCR (PP-OCRv4 ONNX weights ship inside its wheel).

The engine loads lazily, once per reader, behind a lock. Its raw boxes become lines in
:mod:`picsift.describe.ocr_lines` (seams merged, words kept apart, unsure lines dropped),
top to bottom, left to right, and are joined into one searchable string.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from PIL import Image

from picsift.describe.ocr_lines import TextLine, pieces, read_lines
from picsift.errors import ModelUnavailableError

__all__ = ["MIN_CONFIDENCE", "OcrReader", "TextLine"]

# Lines read with less confidence are dropped: chosen on the rendered tuning set
# (bench/make_ocr_set.py --split tune): 0.5 let one invented line through on a photo
# without text, 0.7 to 0.75 read best, above 0.8 real words were lost.
MIN_CONFIDENCE = 0.7


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
            result, _ = engine(np.asarray(image.convert("RGB")), return_word_box=True)
        return read_lines(pieces(result), self._min_confidence)

    def read(self, image: Image.Image) -> str | None:
        found = self.lines(image)
        return " ".join(t.text for t in found) if found else None

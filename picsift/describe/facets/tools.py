"""What facets compute with: the OCR reader, the models, the settings, and what a facet
builds once (a tagger and its label banks). One owner (an indexer, a describe service)
holds one :class:`FacetTools`, so nothing is built per image.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from picsift.config import Settings
from picsift.describe.ocr import OcrReader
from picsift.errors import PicsiftError
from picsift.models.provider import ModelSource

T = TypeVar("T")


class FacetTools:
    def __init__(
        self,
        settings: Settings | None = None,
        models: ModelSource | None = None,
        ocr: OcrReader | None = None,
    ) -> None:
        """``models`` may be None where no model facet runs (model-free describing)."""
        self.settings = settings or Settings()
        self._models = models
        self._ocr = ocr
        self._built: dict[str, object] = {}
        self._lock = threading.RLock()

    def models(self) -> ModelSource:
        if self._models is None:
            raise PicsiftError("this facet needs the models, and none were given")
        return self._models

    def ocr(self) -> OcrReader:
        """The OCR reader (its engine loads on first read); shared by the decode threads."""
        with self._lock:
            if self._ocr is None:
                self._ocr = OcrReader()
            return self._ocr

    def once(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` the first time ``key`` is asked for, then the same object."""
        with self._lock:
            if key not in self._built:
                self._built[key] = build()
            return self._built[key]  # type: ignore[return-value]

"""Dense (CLIP) search: a text or an image query against the image embeddings.

This is the first channel of the hybrid search; caption-text channels and fusion build on the
same :class:`Hit` shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.imaging import decode_image, read_image_file
from picsift.models.provider import ModelSource
from picsift.store import IMAGE_SPACE, Store


@dataclass(frozen=True)
class Hit:
    id: int
    path: str
    score: float
    caption: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SearchService:
    def __init__(self, store: Store, models: ModelSource, settings: Settings) -> None:
        self._store = store
        self._models = models
        self._settings = settings

    def _check_model(self) -> None:
        bound = self._store.catalog.space_model(IMAGE_SPACE)
        wanted = self._models.preset.embedder.model_id
        if bound is not None and bound != wanted:
            raise PicsiftError(
                f"the store at {self._store.home} was indexed with {bound}; search it with the "
                f"same model (this run uses {wanted}, preset '{self._models.preset.name}')"
            )

    def search_text(self, query: str, limit: int = 10) -> list[Hit]:
        if not query.strip():
            raise PicsiftError("empty query: type what you are looking for")
        self._check_model()
        vector = self._models.embedder().embed_texts([query])
        return self._nearest(vector, limit)

    def search_image(self, path: Path, limit: int = 10) -> list[Hit]:
        self._check_model()
        data, _ = read_image_file(path, max_bytes=self._settings.max_file_bytes)
        decoded = decode_image(
            data, path, max_pixels=self._settings.max_image_pixels, max_side=self._settings.max_side
        )
        vector = self._models.embedder().embed_images([decoded.image])
        return self._nearest(vector, limit)

    def _nearest(self, vector: np.ndarray, limit: int) -> list[Hit]:
        index = self._store.vector_index(IMAGE_SPACE, save=False)
        if index.count == 0:
            return []
        scores, ids = index.search(vector, limit)
        found = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        rows = {i: self._store.catalog.get(i) for i, _ in found}
        return [
            Hit(i, row.path, s, row.caption or "") for i, s in found if (row := rows[i]) is not None
        ]


__all__ = ["Hit", "SearchService"]

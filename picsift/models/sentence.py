"""Sentence embedder for caption text (the caption-meaning search channel)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from picsift.models.base import TextEmbedderBase


class SentenceTransformerEmbedder(TextEmbedderBase):
    """sentence-transformers model loaded from a local folder (e.g. all-MiniLM-L6-v2)."""

    def __init__(self, folder: Path, model_id: str, device: torch.device) -> None:
        from sentence_transformers import SentenceTransformer

        self._model: Any = SentenceTransformer(str(folder), device=str(device))
        self.model_id = model_id
        model = self._model
        get_dim = getattr(model, "get_embedding_dimension", None)
        dim: Any = get_dim() if get_dim else model.get_sentence_embedding_dimension()
        self.dim = int(dim)

    def _preprocess_texts(self, texts: Sequence[str]) -> list[str]:
        return [t if t.strip() else "." for t in texts]

    def _forward_texts(self, batch: list[str]) -> np.ndarray:
        with torch.inference_mode():
            out = self._model.encode(
                batch, batch_size=64, convert_to_numpy=True, normalize_embeddings=False
            )
        return np.asarray(out, dtype=np.float32)

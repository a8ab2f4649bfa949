"""open_clip image-text embedder, loaded from a local folder in the hub's file layout."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from picsift.models.base import EmbedderBase


class OpenClipEmbedder(EmbedderBase):
    """CLIP-style dual encoder. Loading reads ``open_clip_config.json`` + weights in ``folder``."""

    def __init__(self, folder: Path, model_id: str, device: torch.device) -> None:
        import open_clip

        ref = f"local-dir:{folder}"
        model, preprocess = open_clip.create_model_from_pretrained(ref, device=device)
        self._model: Any = model.eval()
        self._transform: Any = preprocess
        self._tokenizer: Any = open_clip.get_tokenizer(ref)
        self._device = device
        self.model_id = model_id
        with torch.inference_mode():
            probe = self._model.encode_text(self._tokenizer(["probe"]).to(device))
        self.dim = int(probe.shape[-1])

    def _preprocess_images(self, images: Sequence[Image.Image]) -> torch.Tensor:
        return torch.stack([self._transform(im) for im in images])

    def _forward_images(self, batch: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            out = self._model.encode_image(batch.to(self._device))
        return out.float().cpu().numpy()

    def _preprocess_texts(self, texts: Sequence[str]) -> torch.Tensor:
        return self._tokenizer(list(texts))

    def _forward_texts(self, batch: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            out = self._model.encode_text(batch.to(self._device))
        return out.float().cpu().numpy()

"""Semantic segmentation through transformers (UperNet-ConvNeXt on ADE20K by default).

The class names come from the model's own config (``id2label``), so another checkpoint with
other classes needs no code. Maps are produced at the size a facet asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image


class TransformersSegmenter:
    def __init__(self, folder: Path, model_id: str, device: torch.device) -> None:
        import transformers

        self._processor: Any = transformers.AutoImageProcessor.from_pretrained(folder)
        self._model: Any = (
            transformers.AutoModelForSemanticSegmentation.from_pretrained(folder).to(device).eval()
        )
        self._device = device
        self.model_id = model_id
        id2label = self._model.config.id2label
        self._labels = [str(id2label[i]) for i in range(len(id2label))]

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def _preprocess(self, images: Sequence[Image.Image]) -> Any:
        rgb = [im if im.mode == "RGB" else im.convert("RGB") for im in images]
        return self._processor(images=rgb, return_tensors="pt").to(self._device)

    def _forward(self, batch: Any) -> Any:
        with torch.inference_mode():
            return self._model(**batch)

    def _postprocess(self, output: Any, count: int, side: int) -> list[np.ndarray]:
        maps = self._processor.post_process_semantic_segmentation(
            output, target_sizes=[(side, side)] * count
        )
        return [m.cpu().numpy().astype(np.int32) for m in maps]

    def segment(self, images: Sequence[Image.Image], side: int) -> list[np.ndarray]:
        if len(images) == 0:
            return []
        return self._postprocess(self._forward(self._preprocess(images)), len(images), side)

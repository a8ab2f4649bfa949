"""Monocular depth through transformers (Depth Anything V2 and its kin), behind
:class:`~picsift.models.base.DepthEstimatorBase`.

The processor resizes to the model's input (518 px, a multiple of the 14 px patch, for
Depth Anything V2) and the model predicts relative inverse depth; the base class scales each
map to 0..1 at the size a facet asks for.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from picsift.models.base import DepthEstimatorBase


class TransformersDepth(DepthEstimatorBase):
    def __init__(self, folder: Path, model_id: str, device: torch.device) -> None:
        import transformers

        self._processor: Any = transformers.AutoImageProcessor.from_pretrained(folder)
        self._model: Any = (
            transformers.AutoModelForDepthEstimation.from_pretrained(folder).to(device).eval()
        )
        self._device = device
        self.model_id = model_id

    def _preprocess(self, images: Sequence[Image.Image]) -> list[Any]:
        """One input per image: the processor keeps each picture's aspect ratio, so pictures
        of different shapes do not stack into one tensor (``_forward`` batches equal ones)."""
        rgb = [im if im.mode == "RGB" else im.convert("RGB") for im in images]
        return [self._processor(images=[im], return_tensors="pt") for im in rgb]

    def _forward(self, batch: list[Any]) -> list[np.ndarray]:
        """One forward pass per group of inputs of the same shape (a library's photos mostly
        share one), in the order given."""
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, inputs in enumerate(batch):
            groups.setdefault(tuple(inputs["pixel_values"].shape), []).append(i)
        out: list[np.ndarray | None] = [None] * len(batch)
        with torch.inference_mode():
            for members in groups.values():
                pixels = torch.cat([batch[i]["pixel_values"] for i in members]).to(self._device)
                predicted = self._model(pixel_values=pixels).predicted_depth
                for i, depth in zip(members, predicted, strict=True):
                    out[i] = depth.float().cpu().numpy()
        return [m for m in out if m is not None]

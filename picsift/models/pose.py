"""Body keypoints through transformers' ViTPose, for people a detector has boxed.

ViTPose is a top-down estimator: each person's box is cropped and resized by the processor,
and the keypoints come back in image pixels, which are normalised here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from picsift.models.base import Keypoints


class TransformersPose:
    def __init__(self, folder: Path, model_id: str, device: torch.device) -> None:
        import transformers

        self._processor: Any = transformers.AutoImageProcessor.from_pretrained(folder)
        model: Any = transformers.VitPoseForPoseEstimation.from_pretrained(folder)
        self._model: Any = model.to(device).eval()
        self._device = device
        self.model_id = model_id

    def keypoints(
        self,
        images: Sequence[Image.Image],
        boxes: Sequence[Sequence[tuple[float, float, float, float]]],
    ) -> list[list[Keypoints]]:
        out: list[list[Keypoints]] = []
        for image, image_boxes in zip(images, boxes, strict=True):
            out.append(self._one(image, image_boxes) if image_boxes else [])
        return out

    def _one(
        self, image: Image.Image, boxes: Sequence[tuple[float, float, float, float]]
    ) -> list[Keypoints]:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        w, h = rgb.size
        # the processor takes COCO boxes: x, y, width, height in pixels
        coco = [[[x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h] for x0, y0, x1, y1 in boxes]]
        inputs = self._processor(rgb, boxes=coco, return_tensors="pt").to(self._device)
        with torch.inference_mode():
            outputs = self._model(**inputs)
        found = self._processor.post_process_pose_estimation(outputs, boxes=coco)[0]
        return [
            Keypoints(
                tuple((float(x) / w, float(y) / h) for x, y in person["keypoints"].tolist()),
                tuple(float(s) for s in person["scores"].tolist()),
            )
            for person in found
        ]

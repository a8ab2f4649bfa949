"""The model boundary: one narrow interface per job.

Everything above this module (indexer, search, API) talks to these protocols only, so a
fake can stand in for tests and a new backend is one class. Real backends derive from the
``*Base`` classes, which fix the order preprocess -> forward -> postprocess and own the one
place where embeddings are L2-normalised.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows as contiguous float32; zero rows stay zero instead of becoming NaN."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D array of embeddings, got shape {arr.shape}")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    np.maximum(norms, 1e-12, out=norms)
    return np.ascontiguousarray(arr / norms, dtype=np.float32)


@runtime_checkable
class ImageTextEmbedder(Protocol):
    """Maps images and texts into one space where cosine similarity means relevance."""

    model_id: str
    runtime: str  # what ran the forward passes ("torch", "onnx-int8"); stored with each vector
    dim: int

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """float32 [n, dim], unit rows."""
        ...

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """float32 [n, dim], unit rows."""
        ...


@runtime_checkable
class TextEmbedder(Protocol):
    """Maps texts (captions, queries) into a space where cosine similarity means meaning."""

    model_id: str
    runtime: str
    dim: int

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """float32 [n, dim], unit rows."""
        ...


@runtime_checkable
class Captioner(Protocol):
    """Writes one paragraph describing what is in each image."""

    model_id: str
    runtime: str  # "torch" (fp32, the reference), "bf16", ...; stored with each caption

    def caption(self, images: Sequence[Image.Image]) -> list[str]: ...


class EmbedderBase(ABC):
    """Fixes the inference order so every backend normalises the same way, here and only here."""

    model_id: str
    runtime: str = "torch"
    dim: int

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(self._forward_images(self._preprocess_images(images)))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(self._forward_texts(self._preprocess_texts(texts)))

    @abstractmethod
    def _preprocess_images(self, images: Sequence[Image.Image]) -> Any:
        """Pure: PIL images to model input (no model state touched)."""

    @abstractmethod
    def _forward_images(self, batch: Any) -> np.ndarray:
        """Model call: raw, unnormalised vectors."""

    @abstractmethod
    def _preprocess_texts(self, texts: Sequence[str]) -> Any: ...

    @abstractmethod
    def _forward_texts(self, batch: Any) -> np.ndarray: ...


class TextEmbedderBase(ABC):
    """Text-only counterpart of :class:`EmbedderBase`, normalising in the same one place."""

    model_id: str
    runtime: str = "torch"
    dim: int

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalize(self._forward_texts(self._preprocess_texts(texts)))

    @abstractmethod
    def _preprocess_texts(self, texts: Sequence[str]) -> Any: ...

    @abstractmethod
    def _forward_texts(self, batch: Any) -> np.ndarray: ...


@dataclass(frozen=True)
class Detection:
    """One detected object: its label and box (x0, y0, x1, y1) normalised to 0..1."""

    label: str
    box: tuple[float, float, float, float]


@runtime_checkable
class ObjectDetector(Protocol):
    """Object boxes and labels; implemented by captioners that can also detect (Florence-2)."""

    model_id: str

    @property
    def can_detect(self) -> bool: ...

    def detect_objects(self, images: Sequence[Image.Image]) -> list[list[Detection]]: ...


class DepthEstimator(Protocol):
    """Relative depth per pixel: larger is nearer (inverse depth, as monocular models give)."""

    model_id: str

    def estimate(self, images: Sequence[Image.Image], side: int) -> list[np.ndarray]:
        """One ``side`` x ``side`` float32 map per image, scaled to 0 (farthest) .. 1
        (nearest) within that image."""
        ...


class DepthEstimatorBase(ABC):
    """Preprocess, forward, then one place that scales each map to 0..1 at ``side``."""

    model_id: str
    runtime: str = "torch"

    def estimate(self, images: Sequence[Image.Image], side: int) -> list[np.ndarray]:
        if len(images) == 0:
            return []
        return [_unit_map(m, side) for m in self._forward(self._preprocess(images))]

    @abstractmethod
    def _preprocess(self, images: Sequence[Image.Image]) -> Any: ...

    @abstractmethod
    def _forward(self, batch: Any) -> list[np.ndarray]: ...


def _unit_map(raw: np.ndarray, side: int) -> np.ndarray:
    """``raw`` resized to ``side`` x ``side`` and scaled to 0..1 (a flat map is all 0.5)."""
    small = np.asarray(
        Image.fromarray(np.asarray(raw, np.float32)).resize((side, side), Image.Resampling.BOX),
        np.float32,
    )
    low, high = float(small.min()), float(small.max())
    if not np.isfinite(low) or not np.isfinite(high) or high - low < 1e-6:
        return np.full((side, side), 0.5, np.float32)
    return (small - low) / (high - low)


class Segmenter(Protocol):
    """Semantic segmentation: a class per pixel, from the model's own class list."""

    model_id: str

    def segment(self, images: Sequence[Image.Image], side: int) -> list[np.ndarray]:
        """One ``side`` x ``side`` int map of class ids per image (see :attr:`labels`)."""
        ...

    @property
    def labels(self) -> list[str]:
        """Class id -> name."""
        ...


@dataclass(frozen=True)
class Keypoints:
    """One person's body keypoints (COCO's 17, in its order), as (x, y) normalised to 0..1 of
    the image, each with the model's confidence."""

    points: tuple[tuple[float, float], ...]
    scores: tuple[float, ...]


class PoseEstimator(Protocol):
    """Body keypoints of the people in given boxes (a detector finds the boxes)."""

    model_id: str

    def keypoints(
        self,
        images: Sequence[Image.Image],
        boxes: Sequence[Sequence[tuple[float, float, float, float]]],
    ) -> list[list[Keypoints]]:
        """Per image, per box (x0, y0, x1, y1 normalised), that person's keypoints."""
        ...


class CaptionerBase(ABC):
    """Same split for captioners: preprocess, generate, decode."""

    model_id: str
    runtime: str = "torch"

    def caption(self, images: Sequence[Image.Image]) -> list[str]:
        if len(images) == 0:
            return []
        return [_tidy(text) for text in self._decode(self._generate(self._preprocess(images)))]

    @abstractmethod
    def _preprocess(self, images: Sequence[Image.Image]) -> Any: ...

    @abstractmethod
    def _generate(self, batch: Any) -> Any: ...

    @abstractmethod
    def _decode(self, output: Any) -> list[str]: ...


def _tidy(text: str) -> str:
    """One paragraph: collapse whitespace so captions store and print on one line."""
    return " ".join(text.split())

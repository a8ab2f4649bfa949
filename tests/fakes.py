"""Fakes at the model boundary: deterministic, instant, and derived from the pixels.

They subclass the real base classes, so normalisation and the preprocess/forward split are
the production code's; only the forward pass is fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from PIL import Image

from picsift.errors import UnknownMethodError
from picsift.models.base import (
    CaptionerBase,
    DepthEstimatorBase,
    Detection,
    EmbedderBase,
    Keypoints,
    TextEmbedderBase,
)
from picsift.models.edit_base import EditorBase, EditRequest, Progress
from picsift.models.presets import EditMethod, ModelSpec, Preset

_COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 180, 60),
    "blue": (40, 70, 220),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "yellow": (235, 215, 40),
}


def colour_name(image: Image.Image) -> str:
    mean = np.asarray(image.convert("RGB").resize((16, 16)), dtype=np.float32).mean((0, 1))
    return min(_COLOURS, key=lambda n: float(np.sum((mean - np.array(_COLOURS[n])) ** 2)))


class FakeEmbedder(EmbedderBase):
    """Image vector = a colour histogram; text vector = the named colour's one-hot."""

    model_id = "fake:embedder"
    dim = 16

    def __init__(self) -> None:
        self.image_calls = 0
        self.images_seen = 0

    def _preprocess_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        return np.stack([np.asarray(im.convert("RGB").resize((8, 8)), np.float32) for im in images])

    def _forward_images(self, batch: np.ndarray) -> np.ndarray:
        self.image_calls += 1
        self.images_seen += len(batch)
        out = np.zeros((len(batch), self.dim), np.float32)
        names = list(_COLOURS)
        for i, pixels in enumerate(batch):
            image = Image.fromarray(pixels.astype(np.uint8))
            out[i, names.index(colour_name(image))] = 1.0
            out[i, 8:] = pixels.reshape(-1, 3).mean(0).repeat(3)[:8] / 255.0 * 0.1
        return out

    def _preprocess_texts(self, texts: Sequence[str]) -> list[str]:
        return [t.lower() for t in texts]

    def _forward_texts(self, batch: list[str]) -> np.ndarray:
        out = np.full((len(batch), self.dim), 0.01, np.float32)
        for i, text in enumerate(batch):
            for j, name in enumerate(_COLOURS):
                if name in text:
                    out[i, j] = 1.0
        return out


class FakeCaptioner(CaptionerBase):
    model_id = "fake:captioner"

    def __init__(self) -> None:
        self.calls = 0

    def _preprocess(self, images: Sequence[Image.Image]) -> list[str]:
        return [colour_name(im) for im in images]

    def _generate(self, batch: list[str]) -> list[str]:
        self.calls += 1
        return [f"a mostly {name} picture" for name in batch]

    def _decode(self, output: list[str]) -> list[str]:
        return output


class FakeDetectingCaptioner(FakeCaptioner):
    """Also detects objects, like Florence-2: one box around the pixels that are not white."""

    can_detect = True

    def detect_objects(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        out = []
        for image in images:
            grey = np.asarray(image.convert("L"), dtype=np.float32)
            ys, xs = np.nonzero(grey < 200)
            if len(xs) == 0:
                out.append([])
                continue
            h, w = grey.shape
            box = (xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h)
            out.append([Detection("square", tuple(float(v) for v in box))])  # type: ignore[arg-type]
        return out


def fake_preset(name: str = "fake", embedder_repo: str = "test/fake-embedder") -> Preset:
    return Preset(
        name=name,
        embedder=ModelSpec("fake-embedder", "embedder", "fake", embedder_repo, dim=16),
        captioner=ModelSpec("fake-captioner", "captioner", "fake", "test/fake-captioner"),
        text_embedder=ModelSpec("fake-text", "text_embedder", "fake", "test/fake-text", dim=32),
        edits=fake_edit_methods(),
        meaningless=True,
    )


def fake_edit_methods() -> dict[str, EditMethod]:
    """A structure method that can keep depth and edges, and an instruction method."""
    control = ModelSpec("fake-control", "controlnet", "fake", "test/fake-control")
    structure = ModelSpec(
        "fake-editor", "editor", "fake", "test/fake-editor", options={"keep": ["edges"]}
    )
    instruct = ModelSpec("fake-instruct", "editor", "fake", "test/fake-instruct")
    return {
        "structure": EditMethod("structure", structure, {"depth": control, "edges": control}),
        "instruct": EditMethod("instruct", instruct),
    }


class FakeEditor(EditorBase):
    """Darkens the picture (an edit that keeps every line); an instruction holding "scramble"
    shuffles its tiles instead (one that keeps none). Records each request it got."""

    def __init__(self, method: EditMethod) -> None:
        self.model_id = method.editor.model_id
        self.controls = tuple(method.controls)
        self.default_keep = tuple(method.editor.options.get("keep", ()))
        self.steps = 3
        self.side = 64
        self.requests: list[EditRequest] = []

    def _forward(self, request: EditRequest, progress: Progress | None) -> Image.Image:
        self.requests.append(request)
        for step in range(self.steps):
            if progress is not None:
                progress(step + 1, self.steps)
        pixels = np.asarray(request.image, np.float32)
        if "scramble" in request.instruction:
            rng = np.random.default_rng(request.seed)
            tiles = pixels.reshape(8, pixels.shape[0] // 8, 8, pixels.shape[1] // 8, 3)
            pixels = tiles[rng.permutation(8)][:, :, rng.permutation(8)].reshape(pixels.shape)
            return Image.fromarray(pixels.astype(np.uint8))
        factor = 0.45 + 0.05 * (request.seed % 3)
        return Image.fromarray((pixels * factor).astype(np.uint8))


class FakeModels:
    """A ModelSource holding fakes; counts loads like a provider would."""

    def __init__(self, preset: Preset | None = None, *, detector: bool = False) -> None:
        self._preset = preset or fake_preset()
        self._embedder = FakeEmbedder()
        self._embedder.model_id = self._preset.embedder.model_id
        self._captioner = FakeDetectingCaptioner() if detector else FakeCaptioner()
        self._text = FakeTextEmbedder()
        self._depth = FakeDepth()
        self._segmenter = FakeSegmenter()
        self._pose = FakePose()
        self._editors: dict[str, FakeEditor] = {}
        self._text.model_id = (
            self._preset.text_embedder.model_id if self._preset.text_embedder else ""
        )

    @property
    def preset(self) -> Preset:
        return self._preset

    def embedder(self) -> FakeEmbedder:
        return self._embedder

    def captioner(self) -> FakeCaptioner:
        return self._captioner

    def text_embedder(self) -> FakeTextEmbedder:
        return self._text

    def depth(self) -> FakeDepth:
        return self._depth

    def segmenter(self) -> FakeSegmenter:
        return self._segmenter

    def pose(self) -> FakePose:
        return self._pose

    def editor(self, method: str) -> FakeEditor:
        found = self._preset.edits.get(method)
        if found is None:
            raise UnknownMethodError(f"unknown edit method '{method}'")
        if method not in self._editors:
            self._editors[method] = FakeEditor(found)
        return self._editors[method]


class FakeTextEmbedder(TextEmbedderBase):
    """Bag of words hashed into 32 buckets: texts sharing words are similar."""

    model_id = "fake:text"
    dim = 32

    def __init__(self) -> None:
        self.texts_seen = 0

    def _preprocess_texts(self, texts: Sequence[str]) -> list[list[str]]:
        return [t.lower().replace(",", " ").replace(".", " ").split() for t in texts]

    def _forward_texts(self, batch: list[list[str]]) -> np.ndarray:
        self.texts_seen += len(batch)
        out = np.full((len(batch), self.dim), 1e-3, np.float32)
        for i, words in enumerate(batch):
            for w in words:
                out[i, sum(map(ord, w)) % self.dim] += 1.0
        return out


class FakeDepth(DepthEstimatorBase):
    """Depth = brightness: light pixels are near, dark ones far (so tests paint depth)."""

    model_id = "fake:depth"

    def _preprocess(self, images: Sequence[Image.Image]) -> list[np.ndarray]:
        return [np.asarray(im.convert("L"), np.float32) for im in images]

    def _forward(self, batch: list[np.ndarray]) -> list[np.ndarray]:
        return batch


class FakeSegmenter:
    """Classes by brightness: dark pixels are wall, middle ones floor, light ones window."""

    model_id = "fake:segmenter"
    labels: ClassVar[list[str]] = ["wall", "floor", "windowpane, window"]

    def segment(self, images: Sequence[Image.Image], side: int) -> list[np.ndarray]:
        out = []
        for image in images:
            grey = np.asarray(image.convert("L").resize((side, side), Image.Resampling.NEAREST))
            out.append(np.digitize(grey, [85, 170]).astype(np.int32))
        return out


class FakePose:
    """Keypoints of a person standing upright and facing the camera, inside each box; a box
    wider than tall holds a person lying down (the torso across it)."""

    model_id = "fake:pose"

    def keypoints(
        self,
        images: Sequence[Image.Image],
        boxes: Sequence[Sequence[tuple[float, float, float, float]]],
    ) -> list[list[Keypoints]]:
        return [[_fake_keypoints(box) for box in image_boxes] for image_boxes in boxes]


def _fake_keypoints(box: tuple[float, float, float, float]) -> Keypoints:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    # (along, across) positions in the box for COCO's 17 points, upright
    upright = [(0.5, 0.1), (0.45, 0.08), (0.55, 0.08), (0.4, 0.1), (0.6, 0.1)]
    upright += [(0.35, 0.25), (0.65, 0.25), (0.3, 0.4), (0.7, 0.4), (0.3, 0.5), (0.7, 0.5)]
    upright += [(0.4, 0.55), (0.6, 0.55), (0.4, 0.75), (0.6, 0.75), (0.4, 0.95), (0.6, 0.95)]
    if w > h:  # lying: the body runs along x
        points = tuple((x0 + v * w, y0 + u * h) for u, v in upright)
    else:
        points = tuple((x0 + u * w, y0 + v * h) for u, v in upright)
    return Keypoints(points, tuple([0.9] * 17))

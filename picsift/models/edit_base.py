"""The model boundary for edits: one narrow interface, so a fake stands in for tests.

An edit changes a picture by an instruction while the structure maps it is given (depth,
edges) hold the layout. ``EditorBase`` fixes the order preprocess (the working size) ->
forward (the diffusion pipeline) -> postprocess (back to the picture's own size).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from PIL import Image

# called after each denoising step with (step done, steps in all); raising stops the edit
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EditRequest:
    image: Image.Image
    instruction: str
    seed: int
    strength: float | None = None  # None: the method's own default
    # structure map name -> control image (ControlNet methods), any size; resized here
    controls: Mapping[str, Image.Image] = field(default_factory=dict)


@runtime_checkable
class ImageEditor(Protocol):
    """Changes a picture by an instruction."""

    model_id: str
    # the structure maps this editor can keep (a ControlNet each), and those kept by default
    controls: tuple[str, ...]
    default_keep: tuple[str, ...]
    steps: int
    strength: float | None  # the method's default; None where it does not start from the image

    def edit(self, request: EditRequest, progress: Progress | None = None) -> Image.Image:
        """The changed picture, at the size of ``request.image``."""
        ...


def working_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled so its longer side is ``side``, each side a multiple of 8 (the VAE's
    down-sampling), at least 64."""
    w, h = size
    scale = side / max(w, h)
    return (max(64, round(w * scale / 8) * 8), max(64, round(h * scale / 8) * 8))


class EditorBase(ABC):
    model_id: str
    controls: tuple[str, ...] = ()
    default_keep: tuple[str, ...] = ()
    steps: int = 1
    side: int = 512
    strength: float | None = None

    def edit(self, request: EditRequest, progress: Progress | None = None) -> Image.Image:
        out = self._forward(self._preprocess(request), progress)
        return out.convert("RGB").resize(request.image.size, Image.Resampling.LANCZOS)

    def _preprocess(self, request: EditRequest) -> EditRequest:
        size = working_size(request.image.size, self.side)
        image = request.image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
        controls = {
            name: im.convert("RGB").resize(size, Image.Resampling.BILINEAR)
            for name, im in request.controls.items()
        }
        return EditRequest(image, request.instruction, request.seed, request.strength, controls)

    @abstractmethod
    def _forward(self, request: EditRequest, progress: Progress | None) -> Image.Image: ...


def call_kwargs(options: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The preset options a pipeline call takes, renamed to the call's keywords."""
    return {names[k]: v for k, v in options.items() if k in names}

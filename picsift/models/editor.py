"""Edits through diffusers pipelines, loaded once from a local folder in the published layout.

Three pipelines, chosen by the preset's ``options.pipeline`` (data, not code branches at the
call sites):

- ``instruct_pix2pix``: the instruction itself conditions the UNet beside the picture's
  latent (Brooks et al. 2023);
- ``controlnet_img2img``: image-to-image from the picture, held by one ControlNet per kept
  structure map (Zhang et al. 2023); the ControlNets load once and a pipeline over the kept
  ones is assembled per call from the already loaded components (no reload);
- ``lcm_img2img``: a latent consistency model, a few steps (Luo et al. 2023).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from picsift.errors import PresetError
from picsift.models.edit_base import EditorBase, EditRequest, Progress

PIPELINES = {
    "instruct_pix2pix": "StableDiffusionInstructPix2PixPipeline",
    "controlnet_img2img": "StableDiffusionImg2ImgPipeline",  # the base; ControlNet per call
    "lcm_img2img": "LatentConsistencyModelImg2ImgPipeline",
}


class DiffusersEditor(EditorBase):
    def __init__(
        self,
        folder: Path,
        model_id: str,
        device: torch.device,
        options: Mapping[str, Any],
        controls: Mapping[str, Path],
    ) -> None:
        import diffusers

        # its loading bars and warnings (accelerate absent, safety checker off: README
        # "Edits") are noise in a CLI run or a server log
        diffusers.utils.logging.set_verbosity_error()
        diffusers.utils.logging.disable_progress_bar()
        kind = str(options.get("pipeline", ""))
        if kind not in PIPELINES:
            raise PresetError(f"unknown edit pipeline '{kind}'; known: {', '.join(PIPELINES)}")
        self._kind = kind
        self._device = device
        self._options = dict(options)
        self.model_id = model_id
        self.steps = int(options.get("steps", 20))
        self.side = int(options.get("size", 512))
        # how far from the original image-to-image starts (InstructPix2Pix starts from noise)
        self.strength = None if kind == "instruct_pix2pix" else float(options.get("strength", 0.8))
        pipeline_class = getattr(diffusers, PIPELINES[kind])
        self._pipe: Any = pipeline_class.from_pretrained(
            folder, safety_checker=None, requires_safety_checker=False
        ).to(device)
        self._pipe.set_progress_bar_config(disable=True)
        self._controlnets: dict[str, Any] = {
            name: diffusers.ControlNetModel.from_pretrained(path).to(device).eval()
            for name, path in controls.items()
        }
        self.controls = tuple(self._controlnets)
        self.default_keep = tuple(k for k in options.get("keep", self.controls) if k in controls)
        self._lock = threading.Lock()  # one pipeline run at a time: schedulers hold state

    def _forward(self, request: EditRequest, progress: Progress | None) -> Image.Image:
        generator = torch.Generator("cpu").manual_seed(request.seed)
        kwargs: dict[str, Any] = {
            "prompt": request.instruction,
            "image": request.image,
            "num_inference_steps": self.steps,
            "guidance_scale": float(self._options.get("guidance", 7.5)),
            "generator": generator,
        }
        if self._kind == "instruct_pix2pix":
            kwargs["image_guidance_scale"] = float(self._options.get("image_guidance", 1.5))
        else:
            kwargs["strength"] = request.strength or self.strength
        if progress is not None:
            total = _steps_run(self._kind, self.steps, kwargs.get("strength"))

            def on_step(_pipe: Any, step: int, _t: Any, tensors: dict[str, Any]) -> dict[str, Any]:
                progress(min(step + 1, total), total)
                return tensors

            kwargs["callback_on_step_end"] = on_step
        with self._lock, torch.inference_mode():
            pipe = self._assembled(request, kwargs)
            result = pipe(**kwargs).images[0]
        return result if isinstance(result, Image.Image) else Image.fromarray(result)

    def _assembled(self, request: EditRequest, kwargs: dict[str, Any]) -> Any:
        """The pipeline for this call: with ControlNet(s) over the kept maps, if any."""
        kept = [name for name in request.controls if name in self._controlnets]
        if self._kind != "controlnet_img2img" or not kept:
            return self._pipe
        import diffusers

        kwargs["control_image"] = [request.controls[name] for name in kept]
        pipe: Any = diffusers.StableDiffusionControlNetImg2ImgPipeline(
            **{k: v for k, v in self._pipe.components.items() if k != "image_encoder"},
            controlnet=[self._controlnets[name] for name in kept],
            requires_safety_checker=False,
        )
        pipe.set_progress_bar_config(disable=True)
        return pipe


def _steps_run(kind: str, steps: int, strength: float | None) -> int:
    """Image-to-image runs only the last ``strength`` share of the schedule."""
    if kind == "instruct_pix2pix" or strength is None:
        return steps
    return max(1, min(steps, int(steps * strength)))

"""transformers captioners (Florence-2, BLIP, GIT) behind one class, configured by preset data.

The families differ only in data: the model class, an optional task prompt (Florence-2's
``<MORE_DETAILED_CAPTION>``), and generation settings. So one backend reads those from the
preset's ``options`` instead of one subclass per family.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from picsift.errors import ModelUnavailableError, PresetError
from picsift.models.base import CaptionerBase, Detection

_ALLOWED_CLASSES = {
    "Florence2ForConditionalGeneration",
    "BlipForConditionalGeneration",
    "GitForCausalLM",
    "AutoModelForImageTextToText",
    "AutoModelForVision2Seq",
}
# Keys some processors emit that generate() does not take.
_DROP_KEYS = ("token_type_ids",)


class TransformersCaptioner(CaptionerBase):
    def __init__(
        self, folder: Path, model_id: str, device: torch.device, options: dict[str, Any]
    ) -> None:
        import transformers

        class_name = str(options.get("model_class", "AutoModelForImageTextToText"))
        if class_name not in _ALLOWED_CLASSES or not hasattr(transformers, class_name):
            raise PresetError(f"captioner '{model_id}': unsupported model_class '{class_name}'")
        model_class = getattr(transformers, class_name)
        self._processor: Any = transformers.AutoProcessor.from_pretrained(folder)
        self._model: Any = model_class.from_pretrained(folder).to(device).eval()
        self.runtime = str(options.get("runtime", "torch"))
        if self.runtime == "int8":
            if device.type != "cpu":
                raise PresetError(f"captioner '{model_id}': runtime int8 runs on the CPU only")
            # Dynamic int8 of every Linear layer (weights int8, activations quantised on the
            # fly): the language model and most of the vision encoder are Linear layers, so
            # this is most of the compute; captions may differ slightly from fp32.
            self._model = torch.ao.quantization.quantize_dynamic(
                self._model, {torch.nn.Linear}, dtype=torch.qint8
            )
        elif self.runtime in ("bf16", "bf16-compile"):
            # bfloat16 weights and activations: oneDNN runs them on AMX / AVX512-BF16 units
            # where the CPU has them (about 2x on Florence-2 base, bench/bench_captioner.py)
            self._model = self._model.to(torch.bfloat16)
            if self.runtime == "bf16-compile":
                self._compile(model_id, str(options.get("compile_module", "")))
        elif self.runtime != "torch":
            raise PresetError(f"captioner '{model_id}': unknown runtime '{self.runtime}'")
        self._device = device
        self._prompt: str | None = options.get("prompt")
        # Florence-2 answers "<OD>" with labels and quantised boxes: objects for free
        self._detect_prompt: str | None = options.get("detect_prompt")
        self._detect_tokens = int(options.get("detect_max_new_tokens", 256))
        self._generate_kwargs = {
            "max_new_tokens": int(options.get("max_new_tokens", 64)),
            "num_beams": int(options.get("num_beams", 1)),
            "do_sample": False,
        }
        if "min_new_tokens" in options:
            self._generate_kwargs["min_new_tokens"] = int(options["min_new_tokens"])
        self.model_id = model_id

    def _compile(self, model_id: str, path: str) -> None:
        """``torch.compile`` the module at ``path`` (the vision encoder: most of the time, and
        static shapes). The first batch of each size pays the compile (about a minute for
        Florence-2 base on 2 cores), so smaller batches are padded to the largest seen."""
        if not path:
            raise PresetError(
                f"captioner '{model_id}': runtime bf16-compile needs 'compile_module' (the "
                "vision encoder's attribute path) in the model's options"
            )
        *parents, name = path.split(".")
        owner = self._model
        try:
            for part in parents:
                owner = getattr(owner, part)
            module = getattr(owner, name)
        except AttributeError:
            raise PresetError(f"captioner '{model_id}': no module '{path}' to compile") from None
        setattr(owner, name, torch.compile(module, dynamic=False))
        self._pad_to = 1

    def _padded(self, batch: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The batch grown to the largest size seen, repeating its last row (a compiled
        module recompiles for every new shape); returns the real size too."""
        size = int(batch["pixel_values"].shape[0])
        self._pad_to = max(self._pad_to, size)
        extra = self._pad_to - size
        if not extra:
            return batch, size
        grown = {
            k: torch.cat([v, v[-1:].expand(extra, *v.shape[1:])]) if torch.is_tensor(v) else v
            for k, v in batch.items()
        }
        return grown, size

    def _preprocess(
        self, images: Sequence[Image.Image], prompt: str | None = None
    ) -> dict[str, Any]:
        prompt = prompt or self._prompt
        kwargs: dict[str, Any] = {"images": list(images), "return_tensors": "pt"}
        if prompt:
            kwargs["text"] = [prompt] * len(images)
        inputs = dict(self._processor(**kwargs))
        for key in _DROP_KEYS:
            inputs.pop(key, None)
        return inputs

    def _generate(self, batch: dict[str, Any], **overrides: Any) -> Any:
        moved = {k: v.to(self._device) if hasattr(v, "to") else v for k, v in batch.items()}
        if self.runtime != "torch" and self.runtime != "int8":  # bf16: inputs follow weights
            moved = {
                k: v.to(torch.bfloat16) if torch.is_tensor(v) and v.is_floating_point() else v
                for k, v in moved.items()
            }
        size = None
        if self.runtime == "bf16-compile":
            moved, size = self._padded(moved)
        with torch.inference_mode():
            output = self._model.generate(**moved, **(self._generate_kwargs | overrides))
        return output if size is None else output[:size]

    def _decode(self, output: Any) -> list[str]:
        texts = self._processor.batch_decode(output, skip_special_tokens=True)
        if self._prompt:
            # Decoder-only models echo the prompt; encoder-decoder ones don't.
            texts = [t.removeprefix(self._prompt) for t in texts]
        return [str(t) for t in texts]

    # -- objects ----------------------------------------------------------------------------
    @property
    def can_detect(self) -> bool:
        return bool(self._detect_prompt)

    def detect_objects(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        """Boxes and labels from the detection task (preprocess, generate, parse)."""
        if not self._detect_prompt:
            raise ModelUnavailableError(
                f"captioner '{self.model_id}' cannot detect objects (only Florence-2 can)"
            )
        if not images:
            return []
        task = self._detect_prompt
        output = self._generate(
            self._preprocess(images, task), max_new_tokens=self._detect_tokens, num_beams=1
        )
        texts = self._processor.batch_decode(output, skip_special_tokens=False)
        return [
            self._parse_boxes(text, task, image.size)
            for text, image in zip(texts, images, strict=True)
        ]

    def _parse_boxes(self, text: str, task: str, size: tuple[int, int]) -> list[Detection]:
        parsed = self._processor.post_process_generation(text, task=task, image_size=size)
        answer = parsed.get(task, {})
        width, height = max(size[0], 1), max(size[1], 1)
        out = []
        for label, box in zip(answer.get("labels", []), answer.get("bboxes", []), strict=False):
            label = " ".join(str(label).split()).lower()
            if not label or len(box) != 4:
                continue
            x0, y0, x1, y1 = (float(v) for v in box)
            norm = (x0 / width, y0 / height, x1 / width, y1 / height)
            out.append(Detection(label, tuple(min(max(v, 0.0), 1.0) for v in norm)))  # type: ignore[arg-type]
        return out

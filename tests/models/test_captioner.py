"""The transformers captioner's runtimes: int8 (dynamic) runs the same code path as fp32."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from picsift.config import Settings
from picsift.errors import PresetError
from picsift.models.captioner import TransformersCaptioner
from picsift.models.presets import PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.resources import data_dir

OPTIONS = {
    "model_class": "Florence2ForConditionalGeneration",
    "prompt": "<MORE_DETAILED_CAPTION>",
    "detect_prompt": "<OD>",
    "max_new_tokens": 8,
    "min_new_tokens": 8,
}


def _photos() -> list[Image.Image]:
    paths = sorted((data_dir() / "samples").glob("*.jpg"))[:2]
    return [Image.open(p).convert("RGB") for p in paths]


def test_int8_quantises_the_linear_layers_and_still_captions(tiny_models_dir: Path) -> None:
    folder = tiny_models_dir / "picsift--tiny-florence-2"
    cpu = torch.device("cpu")
    fp32 = TransformersCaptioner(folder, "m", cpu, OPTIONS)
    int8 = TransformersCaptioner(folder, "m", cpu, {**OPTIONS, "runtime": "int8"})
    assert int8.runtime == "int8" and fp32.runtime == "torch"
    kinds = {type(m).__module__ for m in int8._model.modules()}
    assert any("quantized" in k for k in kinds)  # Linear layers were replaced
    captions = int8.caption(_photos())
    assert len(captions) == 2 and all(isinstance(c, str) and c for c in captions)
    assert len(int8.detect_objects(_photos()[:1])) == 1
    bf16 = TransformersCaptioner(folder, "m", cpu, {**OPTIONS, "runtime": "bf16"})
    assert next(bf16._model.parameters()).dtype == torch.bfloat16
    assert all(isinstance(c, str) and c for c in bf16.caption(_photos()))
    with pytest.raises(PresetError, match="unknown runtime 'fp8'"):
        TransformersCaptioner(folder, "m", cpu, {**OPTIONS, "runtime": "fp8"})


def test_the_setting_overrides_the_preset(tiny_models_dir: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, models_dir=tiny_models_dir, captioner_runtime="int8")
    provider = ModelProvider(settings, PresetCatalog(tmp_path / "p.toml").preset("tiny"))
    assert provider.captioner().runtime == "int8"  # type: ignore[attr-defined]


@pytest.mark.skipif(
    shutil.which("g++") is None and shutil.which("c++") is None,
    reason="torch.compile on a CPU needs a C++ compiler (apt install g++)",
)
def test_bf16_compile_compiles_the_vision_encoder_and_pads_small_batches(
    tiny_models_dir: Path,
) -> None:
    folder = tiny_models_dir / "picsift--tiny-florence-2"
    cpu = torch.device("cpu")
    options = {**OPTIONS, "runtime": "bf16-compile", "compile_module": "model.vision_tower"}
    compiled = TransformersCaptioner(folder, "m", cpu, options)
    eager = TransformersCaptioner(folder, "m", cpu, {**OPTIONS, "runtime": "bf16"})
    tower = compiled._model.model.vision_tower
    assert hasattr(tower, "_orig_mod")  # what torch.compile returns
    photos = _photos()
    both = compiled.caption(photos)
    one = compiled.caption(photos[:1])  # padded to the compiled batch of 2, then trimmed
    assert len(both) == 2 and len(one) == 1 and one[0] == both[0]
    assert compiled._pad_to == 2
    assert all(isinstance(c, str) and c for c in both)
    assert len(eager.caption(photos)) == 2  # the eager bf16 reference still runs beside it
    with pytest.raises(PresetError, match="needs 'compile_module'"):
        TransformersCaptioner(folder, "m", cpu, {**OPTIONS, "runtime": "bf16-compile"})
    with pytest.raises(PresetError, match=r"no module 'model\.nothing'"):
        TransformersCaptioner(folder, "m", cpu, {**options, "compile_module": "model.nothing"})

"""Writing a model folder in open_clip's hub layout (the tiny and full-size random builds).

Two files, as the laion and timm repos hold them: ``open_clip_model.safetensors`` and
``open_clip_config.json`` (``model_cfg`` plus ``preprocess_cfg``), which
``open_clip.create_model_from_pretrained("local-dir:...")`` reads back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch


def save_open_clip(
    out: Path, model: torch.nn.Module, model_cfg: dict[str, Any], preprocess_cfg: dict[str, Any]
) -> None:
    from safetensors.torch import save_file

    weights = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(weights, str(out / "open_clip_model.safetensors"))
    config = {"model_cfg": model_cfg, "preprocess_cfg": preprocess_cfg}
    (out / "open_clip_config.json").write_text(json.dumps(config, indent=2) + "\n")

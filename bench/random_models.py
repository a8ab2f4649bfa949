"""A preset naming the default architectures at random weights, for benchmarks that run the
``picsift`` command itself: written to a home's ``presets.toml``, it makes the command load
locally built models (same compute as the real ones, meaningless output) through the same
code as real weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def random_preset_toml(
    clip: Path,
    florence: Path,
    *,
    embedder_options: dict[str, Any] | None = None,
    captioner_options: dict[str, Any] | None = None,
    name: str = "bench-random",
) -> str:
    """Preset ``name``: CLIP ViT-B/32 from ``clip``, Florence-2 base from ``florence``, each
    folder made by ``picsift.models.tiny.build_full_size_random``."""
    tables: dict[str, dict[str, Any]] = {
        "models.bench-clip": {
            "kind": "embedder",
            "backend": "open_clip",
            "repo": "bench/clip-vit-b-32-random",
            "architecture": "ViT-B-32",
            "dim": 512,
            "path": clip,
        },
        "models.bench-clip.options": embedder_options or {},
        "models.bench-florence": {
            "kind": "captioner",
            "backend": "transformers",
            "repo": "bench/florence-2-base-random",
            "path": florence,
        },
        "models.bench-florence.options": {
            "model_class": "Florence2ForConditionalGeneration",
            "prompt": "<MORE_DETAILED_CAPTION>",
            **(captioner_options or {}),
        },
        f"presets.{name}": {
            "embedder": "bench-clip",
            "captioner": "bench-florence",
            "meaningless": True,
        },
    }
    lines = []
    for table, values in tables.items():
        if values:
            lines.append(f"[{table}]")
            lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
            lines.append("")
    return "\n".join(lines)

"""Tiny models build offline and load through the same public calls as the real checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from picsift.errors import PresetError
from picsift.models.tiny import TINY_KINDS, build_tiny

CAPTIONERS = {
    "tiny-florence-2": ("Florence2ForConditionalGeneration", "Florence2Processor"),
    "tiny-blip": ("BlipForConditionalGeneration", "BlipProcessor"),
    "tiny-git": ("GitForCausalLM", "GitProcessor"),
}


@pytest.fixture(autouse=True)
def _no_progress_bars() -> Iterator[None]:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    yield
    hf_logging.enable_progress_bar()


@pytest.fixture(scope="module")
def images() -> list[Image.Image]:
    """Two different photos-to-be: one noisy RGB, one grey gradient of another size."""
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
    ramp = np.tile(np.linspace(0, 255, 90, dtype=np.uint8), (200, 1))
    return [noisy, Image.fromarray(ramp).convert("RGB")]


def test_tiny_clip_loads_with_open_clip(tmp_path: Path, images: list[Image.Image]) -> None:
    import open_clip

    folder = build_tiny("tiny-clip", tmp_path / "clip")
    assert sorted(p.name for p in folder.iterdir()) == [
        "open_clip_config.json",
        "open_clip_model.safetensors",
    ]
    model, preprocess = open_clip.create_model_from_pretrained(f"local-dir:{folder}")
    tokenizer = open_clip.get_tokenizer(f"local-dir:{folder}")
    with torch.no_grad():
        image_vecs = model.encode_image(torch.stack([preprocess(im) for im in images]))
        text_vecs = model.encode_text(tokenizer(["a dog", "a red car", "snow"]))
    assert image_vecs.shape == (2, 64)
    assert text_vecs.shape == (3, 64)
    assert not torch.allclose(image_vecs[0], image_vecs[1])


@pytest.mark.parametrize("kind", sorted(CAPTIONERS))
def test_tiny_captioner_generates(tmp_path: Path, images: list[Image.Image], kind: str) -> None:
    import transformers

    model_class, processor_class = CAPTIONERS[kind]
    folder = build_tiny(kind, tmp_path / kind)
    processor = transformers.AutoProcessor.from_pretrained(folder)
    model = getattr(transformers, model_class).from_pretrained(folder).eval()
    assert type(processor).__name__ == processor_class

    text: dict[str, Any] = {}
    if kind == "tiny-florence-2":
        text = {"text": ["<MORE_DETAILED_CAPTION>"] * len(images)}
    inputs = processor(images=images, return_tensors="pt", **text)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=16, num_beams=1, do_sample=False)
    captions = processor.batch_decode(out, skip_special_tokens=True)

    assert len(captions) == 2
    assert all(isinstance(c, str) and len(c.split()) >= 8 for c in captions)
    assert captions[0] != captions[1]  # the image reaches the text decoder
    if kind == "tiny-florence-2":
        raw = processor.batch_decode(out, skip_special_tokens=False)[0]
        parsed = processor.post_process_generation(raw, task="<MORE_DETAILED_CAPTION>")
        assert parsed["<MORE_DETAILED_CAPTION>"] == captions[0].strip()


@pytest.mark.parametrize("kind", TINY_KINDS)
def test_same_seed_same_bytes(tmp_path: Path, kind: str) -> None:
    first = build_tiny(kind, tmp_path / "a", seed=3)
    again = build_tiny(kind, tmp_path / "b", seed=3)
    other = build_tiny(kind, tmp_path / "c", seed=4)
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(again)) for p in again.rglob("*") if p.is_file())
    for name in names:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    weights = next(n for n in names if n.endswith(".safetensors"))
    assert (first / weights).read_bytes() != (other / weights).read_bytes()


def test_rebuild_replaces_folder_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "models" / "tiny-git"
    build_tiny("tiny-git", target)
    (target / "stale.txt").write_text("from an older build")
    rng_state = torch.random.get_rng_state()
    assert build_tiny("tiny-git", target, seed=1) == target
    assert torch.equal(torch.random.get_rng_state(), rng_state)  # caller's RNG untouched
    assert not (target / "stale.txt").exists()
    assert [p.name for p in target.parent.iterdir()] == ["tiny-git"]


def test_unknown_kind_is_a_preset_error(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="tiny-clip"):
        build_tiny("tiny-nope", tmp_path / "x")
    assert not (tmp_path / "x").exists()

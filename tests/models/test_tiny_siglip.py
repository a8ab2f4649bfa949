"""The tiny SigLIP 2 builds offline and loads through the product's open_clip loader: a timm
image tower, a bidirectional text tower, and the tokenizer read from the model's folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from picsift.config import Settings
from picsift.models import PresetCatalog
from picsift.models.openclip import OpenClipEmbedder
from picsift.models.provider import ModelProvider
from picsift.models.tiny import build_tiny


def test_tiny_siglip2_embeds_texts_and_images_into_one_space(tmp_path: Path) -> None:
    folder = build_tiny("tiny-siglip2", tmp_path / "picsift--tiny-siglip2")
    model = OpenClipEmbedder(folder, "m", torch.device("cpu"))
    texts = model.embed_texts(["red dress", "красное платье"])
    images = model.embed_images([Image.new("RGB", (90, 60), (200, 30, 30))])
    assert model.dim == 192 and texts.shape == (2, 192) and images.shape == (1, 192)
    assert np.allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    again = OpenClipEmbedder(folder, "m", torch.device("cpu"))
    assert np.allclose(texts, again.embed_texts(["red dress", "красное платье"]), atol=1e-6)


def test_the_tiny_siglip2_preset_builds_on_demand(tmp_path: Path) -> None:
    preset = PresetCatalog().preset("tiny-siglip2")
    assert preset.meaningless and preset.embedder.license == "Apache-2.0"
    settings = Settings(home=tmp_path / "home", models_dir=tmp_path / "models")
    vectors = ModelProvider(settings, preset).embedder().embed_texts(["a red dress"])
    assert vectors.shape == (1, 192)

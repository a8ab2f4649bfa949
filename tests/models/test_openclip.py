"""The open_clip backend through the real loading code, on the tiny preset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from picsift.models.openclip import OpenClipEmbedder


def test_embeddings_are_unit_rows_and_text_trimming_is_exact(tiny_models_dir: Path) -> None:
    model = OpenClipEmbedder(tiny_models_dir / "picsift--tiny-clip", "t", torch.device("cpu"))
    images = [Image.new("RGB", (300, 200), c) for c in ("red", "blue")]
    vectors = model.embed_images(images)
    assert vectors.shape == (2, model.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    texts = ["shoes", "a red dress hanging on a wooden door in the morning light"]
    assert model._can_trim_text
    tokens = model._preprocess_texts(texts)
    with torch.inference_mode():
        full = model._model.encode_text(tokens).numpy()
        trimmed = model._encode_text_trimmed(tokens).numpy()
    np.testing.assert_allclose(trimmed, full, atol=1e-5)
    assert model.embed_texts([]).shape == (0, model.dim)

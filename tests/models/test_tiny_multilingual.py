"""The tiny multilingual text models build offline and load through the product's loaders
(the real classes, tokenizers trained here), reading any script into one space."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from picsift.config import Settings
from picsift.models import PresetCatalog
from picsift.models.openclip import OpenClipEmbedder
from picsift.models.provider import ModelProvider
from picsift.models.sentence import SentenceTransformerEmbedder
from picsift.models.tiny import build_tiny

QUERIES = ["красное платье", "red dress", "rotes Kleid", "红色连衣裙", "赤いドレス"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("multilingual")
    for kind in ("tiny-multilingual-clip", "tiny-multilingual-minilm"):
        build_tiny(kind, folder / f"picsift--{kind}")
    return folder


def test_clip_with_an_xlm_roberta_text_tower_reads_every_script(built: Path) -> None:
    folder = built / "picsift--tiny-multilingual-clip"
    first = OpenClipEmbedder(folder, "m", torch.device("cpu"))
    again = OpenClipEmbedder(folder, "m", torch.device("cpu"))
    texts = first.embed_texts(QUERIES)
    assert texts.shape == (5, 64) and np.allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert len({tuple(np.round(v, 4)) for v in texts}) == 5  # different texts, different vectors
    # the text tower's weights come from the checkpoint, not a fresh random init
    assert np.allclose(texts, again.embed_texts(QUERIES), atol=1e-6)
    images = first.embed_images([Image.new("RGB", (50, 40), (200, 30, 30))])
    assert images.shape == (1, 64)


def test_multilingual_sentence_model_loads_as_published(built: Path) -> None:
    folder = built / "picsift--tiny-multilingual-minilm"
    assert (folder / "modules.json").is_file() and (folder / "tokenizer.json").is_file()
    model = SentenceTransformerEmbedder(folder, "m", torch.device("cpu"))
    vectors = model.embed_texts(QUERIES)
    assert vectors.shape == (5, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_the_tiny_multilingual_preset_is_multilingual_and_builds_on_demand(
    built: Path, tmp_path: Path
) -> None:
    preset = PresetCatalog().preset("tiny-multilingual")
    assert preset.multilingual and preset.meaningless and preset.caption_language == "en"
    settings = Settings(home=tmp_path / "home", models_dir=built, allow_download=False)
    provider = ModelProvider(settings, preset)
    assert provider.text_embedder().embed_texts(["платье"]).shape == (1, 32)
    assert provider.embedder().embed_texts(["платье"]).shape == (1, 64)


def test_a_missing_text_tower_config_says_what_to_do(built: Path, tmp_path: Path) -> None:
    import shutil

    from picsift.errors import ModelUnavailableError

    folder = tmp_path / "clip"
    shutil.copytree(built / "picsift--tiny-multilingual-clip", folder)
    (folder / "config.json").unlink()
    with pytest.raises(ModelUnavailableError, match="models pull"):
        OpenClipEmbedder(folder, "m", torch.device("cpu"))

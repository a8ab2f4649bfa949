"""The tiny edit pipelines build offline in diffusers' layout and load through the product's
provider: every method runs, once loaded it is never loaded again. Mechanics only: random
weights, so the pictures mean nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from picsift.config import Settings
from picsift.errors import UnknownMethodError
from picsift.models import locate
from picsift.models.edit_base import EditRequest, working_size
from picsift.models.presets import PresetCatalog
from picsift.models.provider import ModelProvider


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> ModelProvider:
    folder = tmp_path_factory.mktemp("edit-models")
    settings = Settings(home=folder / "home", models_dir=folder / "models")
    return ModelProvider(settings, PresetCatalog(folder / "p.toml").preset("tiny"))


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (90, 120, 3), dtype=np.uint8))


@pytest.mark.parametrize("method", ["structure", "instruct", "fast"])
def test_each_method_edits_at_the_pictures_own_size(
    provider: ModelProvider, photo: Image.Image, method: str
) -> None:
    editor = provider.editor(method)
    assert provider.editor(method) is editor  # loaded once
    controls = {name: photo for name in editor.default_keep}
    steps: list[tuple[int, int]] = []
    out = editor.edit(
        EditRequest(photo, "at night", 3, None, controls), lambda d, t: steps.append((d, t))
    )
    assert out.size == photo.size and out.mode == "RGB"
    assert steps and steps[-1][0] == steps[-1][1]
    again = editor.edit(EditRequest(photo, "at night", 3, None, controls))
    assert np.array_equal(np.asarray(out), np.asarray(again))  # a seed fixes the result


def test_the_structure_method_keeps_any_subset_of_its_maps(
    provider: ModelProvider, photo: Image.Image
) -> None:
    editor = provider.editor("structure")
    assert set(editor.controls) == {"depth", "edges"} and editor.default_keep == ("depth", "edges")
    for kept in ({"depth": photo}, {"edges": photo}, {}):
        assert editor.edit(EditRequest(photo, "in winter", 0, 0.5, kept)).size == photo.size


def test_the_folders_have_the_published_layout(provider: ModelProvider) -> None:
    method = provider.preset.edits["instruct"]
    folder = provider.folder(method.editor)
    index = json.loads((folder / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionInstructPix2PixPipeline"
    assert {"unet", "vae", "text_encoder", "tokenizer", "scheduler"} <= set(index)
    assert locate.is_complete(folder, method.editor)
    (folder / "unet" / "diffusion_pytorch_model.safetensors").rename(folder / "unet" / "x")
    try:
        assert not locate.is_complete(folder, method.editor)  # a component's weights missing
    finally:
        (folder / "unet" / "x").rename(folder / "unet" / "diffusion_pytorch_model.safetensors")


def test_an_unknown_method_is_named(provider: ModelProvider) -> None:
    with pytest.raises(UnknownMethodError, match="known: structure, instruct, fast"):
        provider.editor("oil-paint")


@pytest.mark.parametrize(
    ("size", "side", "expected"),
    [((120, 90), 512, (512, 384)), ((90, 120), 128, (96, 128)), ((4000, 10), 512, (512, 64))],
)
def test_the_working_size_keeps_the_shape_in_multiples_of_8(
    size: tuple[int, int], side: int, expected: tuple[int, int]
) -> None:
    assert working_size(size, side) == expected


def test_every_edit_model_records_its_licence() -> None:
    catalog = PresetCatalog(Path("/nonexistent.toml"))
    for name in ("default", "tiny"):
        for method in catalog.preset(name).edits.values():
            assert all(spec.license != "unknown" for spec in method.specs)

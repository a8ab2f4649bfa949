"""The ONNX Runtime path of the CLIP embedder agrees with eager PyTorch (the accuracy guard)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from picsift.cli import app
from picsift.errors import ModelUnavailableError
from picsift.models.onnx_clip import OnnxClipEmbedder, export_clip
from picsift.models.openclip import OpenClipEmbedder
from picsift.resources import data_dir

pytest.importorskip("onnxscript", reason="ONNX export needs onnxscript (the dev extra has it)")
CPU = torch.device("cpu")
TEXTS = ["a red dress", "two white sneakers on a wooden floor", "hat", "a shirt on a door"]


@pytest.fixture(scope="module")
def exported(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("onnx") / "picsift--tiny-clip"
    shutil.copytree(tiny_models_dir / "picsift--tiny-clip", folder)
    written = export_clip(folder, int8=True)
    assert {p.name for p in written} >= {"visual.onnx", "text.int8.onnx", "stamp.json"}
    return folder


def _photos() -> list[Image.Image]:
    return [Image.open(p).convert("RGB") for p in sorted((data_dir() / "samples").glob("*.jpg"))]


def _neighbours(vectors: np.ndarray) -> list[set[int]]:
    order = np.argsort(-(vectors @ vectors.T), axis=1)[:, 1:11]
    return [set(row.tolist()) for row in order]


def test_fp32_and_int8_agree_with_eager(exported: Path) -> None:
    eager = OpenClipEmbedder(exported, "m", CPU)
    fp32 = OnnxClipEmbedder(exported, "m", CPU, int8=False, threads=2)
    int8 = OnnxClipEmbedder(exported, "m", CPU, int8=True, threads=2)
    photos = _photos()
    reference, images = eager.embed_images(photos), eager.embed_texts(TEXTS)
    assert np.min(np.sum(reference * fp32.embed_images(photos), axis=1)) >= 0.999
    assert np.min(np.sum(images * fp32.embed_texts(TEXTS), axis=1)) >= 0.999
    quantized = int8.embed_images(photos)
    assert np.min(np.sum(reference * quantized, axis=1)) >= 0.99
    assert np.min(np.sum(images * int8.embed_texts(TEXTS), axis=1)) >= 0.99
    # the same top-10 on a fixed set, up to one near-tie per image: ONNX Runtime's int8
    # kernels differ by CPU (VNNI, AVX2), and so does which of two near-equal neighbours wins
    shared = [
        len(a & b) for a, b in zip(_neighbours(quantized), _neighbours(reference), strict=True)
    ]
    assert min(shared) >= 9 and sum(shared) >= 0.97 * 10 * len(shared)
    assert fp32.dim == eager.dim and fp32.runtime == "onnx" and int8.runtime == "onnx-int8"
    # batch size and query length are dynamic axes: one image and a long query work too
    assert fp32.embed_images(photos[:1]).shape == (1, eager.dim)
    assert fp32.embed_texts(["word " * 60]).shape == (1, eager.dim)


def test_an_export_of_other_weights_is_refused(exported: Path, tmp_path: Path) -> None:
    other = tmp_path / "clip"
    shutil.copytree(exported, other)
    stamp = other / "onnx" / "stamp.json"
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "weights_sha256": "0" * 64}))
    with pytest.raises(ModelUnavailableError, match="made from other weights"):
        OnnxClipEmbedder(other, "m", CPU, int8=False, threads=1)
    shutil.rmtree(other / "onnx")
    with pytest.raises(ModelUnavailableError, match="picsift models export"):
        OnnxClipEmbedder(other, "m", CPU, int8=True, threads=1)


def test_cli_export_then_search_with_the_onnx_runtime(
    tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    shutil.copytree(tiny_models_dir, models)
    monkeypatch.setenv("PICSIFT_MODELS_DIR", str(models))
    runner = CliRunner()
    done = runner.invoke(app, ["models", "export", "tiny", "--int8"])
    assert done.exit_code == 0, done.output
    assert (models / "picsift--tiny-clip" / "onnx" / "visual.int8.onnx").is_file()
    samples = data_dir() / "samples"
    monkeypatch.setenv("PICSIFT_EMBEDDER_RUNTIME", "onnx-int8")
    assert runner.invoke(app, ["index", str(samples), "-m", "tiny"]).exit_code == 0
    found = runner.invoke(app, ["search", "a red dress", "-m", "tiny", "--json"])
    assert found.exit_code == 0 and json.loads(found.stdout)["hits"]
    monkeypatch.setenv("PICSIFT_EMBEDDER_RUNTIME", "torch")  # the same store, eager again
    again = runner.invoke(app, ["search", "a red dress", "-m", "tiny", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["hits"]

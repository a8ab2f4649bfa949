"""CLIP through ONNX Runtime: exported once from the same open_clip module, then served.

Why: on a CPU, ONNX Runtime's fused kernels and dynamic int8 quantisation run the same
network several times faster than eager PyTorch (numbers in ``bench/bench_runtime.py``).
Preprocessing (open_clip's transforms and tokenizer) stays the eager embedder's, so only the
forward pass changes; the accuracy guard in ``tests/models/test_onnx_clip.py`` bounds how far
the vectors may move (fp32: cosine >= 0.999; int8: >= 0.99 and the same top-10 neighbours).

Artefacts live beside the weights in ``<model folder>/onnx/`` with a stamp naming the source
weights' SHA-256, so an export never serves weights it was not made from.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from picsift.errors import ModelUnavailableError
from picsift.models.openclip import OpenClipEmbedder, encode_cut_tokens

EXPORT_DIR = "onnx"
STAMP = "stamp.json"
OPSET = 18
RUNTIMES = ("torch", "onnx", "onnx-int8")


def weights_digest(folder: Path) -> str:
    """SHA-256 over the weight files (the stamp an export is checked against)."""
    digest = hashlib.sha256()
    files = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin", ".pt"))
    if not files:
        raise ModelUnavailableError(f"no weight files in {folder}")
    for path in files:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


class _Visual(torch.nn.Module):
    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(pixels)


class _TrimmedText(torch.nn.Module):
    """``encode_text`` over tokens already cut after the last end-of-text token (exact for
    causal CLIP text towers, see ``OpenClipEmbedder._encode_text_trimmed``); the sequence
    length is a dynamic axis, so a 5-token query runs 5 positions, not 77."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return encode_cut_tokens(self.model, tokens)


def _path(folder: Path, tower: str, int8: bool) -> Path:
    return folder / EXPORT_DIR / f"{tower}{'.int8' if int8 else ''}.onnx"


def export_clip(folder: Path, int8: bool = False) -> list[Path]:
    """Export the image and text towers of the open_clip model in ``folder`` (fp32, plus
    dynamically quantised int8 copies when ``int8``); returns the files written."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    embedder = OpenClipEmbedder(folder, "export", torch.device("cpu"))
    if not embedder._can_trim_text:
        raise ModelUnavailableError(
            f"{folder}: only CLIP text towers with causal masks and argmax pooling export"
        )
    out = folder / EXPORT_DIR
    out.mkdir(exist_ok=True)
    size = embedder._transform.transforms[0].size
    side = size if isinstance(size, int) else size[0]
    pixels = torch.zeros(2, 3, side, side)
    tokens = embedder._tokenizer(["a photo", "two words here"])[:, :8]
    written = []
    batch = torch.export.Dim("batch", min=1, max=4096)
    length = torch.export.Dim("length", min=2, max=int(embedder._tokenizer.context_length))
    for tower, module, example, name, shapes in (
        ("visual", _Visual(embedder._model), pixels, "pixels", {0: batch}),
        ("text", _TrimmedText(embedder._model), tokens, "tokens", {0: batch, 1: length}),
    ):
        target = _path(folder, tower, False)
        # torch.export (dynamo=True) keeps batch and length symbolic; the TorchScript exporter
        # bakes nn.MultiheadAttention's reshapes to the example's sizes
        with contextlib.redirect_stdout(io.StringIO()):  # it narrates every step on stdout
            torch.onnx.export(
                module.eval(),
                (example,),
                str(target),
                input_names=[name],
                output_names=["vector"],
                dynamic_shapes={name: shapes},
                opset_version=OPSET,
                dynamo=True,
            )
        written.append(target)
        if int8:
            quantized = _path(folder, tower, True)
            quantize_dynamic(str(target), str(quantized), weight_type=QuantType.QInt8)
            written.append(quantized)
    stamp = {"weights_sha256": weights_digest(folder), "opset": OPSET, "int8": int8}
    tmp = out / f"{STAMP}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(stamp, indent=2) + "\n")
    os.replace(tmp, out / STAMP)
    return [*written, out / STAMP]


class OnnxClipEmbedder(OpenClipEmbedder):
    """The eager embedder's preprocessing, ONNX Runtime's forward passes."""

    def __init__(
        self, folder: Path, model_id: str, device: torch.device, int8: bool, threads: int
    ) -> None:
        import onnxruntime as ort

        super().__init__(folder, model_id, device)
        stamp_path = folder / EXPORT_DIR / STAMP
        how = f"run: picsift models export PRESET{' --int8' if int8 else ''}"
        try:
            stamp = json.loads(stamp_path.read_text())
        except (OSError, ValueError):
            raise ModelUnavailableError(f"{model_id}: no ONNX export in {folder}; {how}") from None
        if stamp.get("weights_sha256") != weights_digest(folder):
            raise ModelUnavailableError(
                f"{model_id}: the ONNX export in {folder} was made from other weights; {how}"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sessions = []
        for tower in ("visual", "text"):
            path = _path(folder, tower, int8)
            if not path.is_file():
                raise ModelUnavailableError(f"{model_id}: {path} is missing; {how}")
            sessions.append(
                ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            )
        self._visual, self._text = sessions
        self._model = None  # preprocessing needs only the transforms and tokenizer
        self.runtime = "onnx-int8" if int8 else "onnx"

    def _forward_images(self, batch: torch.Tensor) -> np.ndarray:
        (out,) = self._visual.run(None, {"pixels": batch.numpy().astype(np.float32)})
        return np.asarray(out, dtype=np.float32)

    def _preprocess_texts(self, texts: Sequence[str]) -> torch.Tensor:
        tokens = self._tokenizer(list(texts))
        return tokens[:, : int(tokens.argmax(dim=-1).max()) + 1]

    def _forward_texts(self, batch: torch.Tensor) -> np.ndarray:
        (out,) = self._text.run(None, {"tokens": batch.numpy().astype(np.int64)})
        return np.asarray(out, dtype=np.float32)

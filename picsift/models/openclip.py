"""open_clip image-text embedder, loaded from a local folder in the hub's file layout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from picsift.errors import ModelUnavailableError
from picsift.models.base import EmbedderBase


class OpenClipEmbedder(EmbedderBase):
    """CLIP-style dual encoder. Loading reads ``open_clip_config.json`` + weights in ``folder``."""

    def __init__(self, folder: Path, model_id: str, device: torch.device) -> None:
        import open_clip

        ref = f"local-dir:{folder}"
        model, preprocess = open_clip.create_model_from_pretrained(
            ref, device=device, **_local_text_tower(folder)
        )
        self._model: Any = model.eval()
        self._transform: Any = preprocess
        self._tokenizer: Any = open_clip.get_tokenizer(ref)
        self._device = device
        self.model_id = model_id
        with torch.inference_mode():
            probe = self._model.encode_text(self._tokenizer(["probe"]).to(device))
        self.dim = int(probe.shape[-1])

    def _preprocess_images(self, images: Sequence[Image.Image]) -> torch.Tensor:
        return torch.stack([self._transform(im) for im in images])

    def _forward_images(self, batch: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            out = self._model.encode_image(batch.to(self._device))
        return out.float().cpu().numpy()

    def _preprocess_texts(self, texts: Sequence[str]) -> torch.Tensor:
        return self._tokenizer(list(texts))

    def _forward_texts(self, batch: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            tokens = batch.to(self._device)
            if self._can_trim_text:
                out = self._encode_text_trimmed(tokens)
            else:
                out = self._model.encode_text(tokens)
        return out.float().cpu().numpy()

    @property
    def _can_trim_text(self) -> bool:
        m = self._model
        return (
            type(m).__name__ == "CLIP"
            and getattr(m, "text_pool_type", None) == "argmax"
            and getattr(m, "attn_mask", None) is not None
        )

    def _encode_text_trimmed(self, tokens: torch.Tensor) -> torch.Tensor:
        """``encode_text`` without the padding: same result, a fraction of the work.

        Queries are a few tokens long but open_clip pads them to 77. The attention is causal
        and pooling reads the end-of-text token (the highest id, hence ``argmax``), so no
        position after it can change the output; cutting the sequence there is exact.
        """
        length = int(tokens.argmax(dim=-1).max()) + 1
        return encode_cut_tokens(self._model, tokens[:, :length])


def _local_text_tower(folder: Path) -> dict[str, Any]:
    """A Hugging Face text tower (e.g. XLM-RoBERTa) is built from its config, which the
    model's config names by hub id; point it at the copy in ``folder`` instead, so loading
    never reaches the hub (its weights then come from the open_clip checkpoint)."""
    config = json.loads((folder / "open_clip_config.json").read_text("utf-8"))
    text_cfg = dict(config.get("model_cfg", {}).get("text_cfg", {}))
    if "hf_model_name" not in text_cfg:
        return {}
    if not (folder / "config.json").is_file():
        raise ModelUnavailableError(
            f"{folder} lacks its text tower's config.json and tokenizer "
            f"({text_cfg['hf_model_name']}); `picsift models pull` fetches them"
        )
    local = {"hf_model_name": str(folder), "hf_tokenizer_name": str(folder)}
    return {"text_cfg": {**text_cfg, **local, "hf_model_pretrained": False}}


def encode_cut_tokens(m: Any, tokens: torch.Tensor) -> torch.Tensor:
    """CLIP's text tower over tokens already cut after the last end-of-text token (the ONNX
    export traces this same function, with the length as a dynamic axis)."""
    length = tokens.shape[1]
    cast = m.transformer.get_cast_dtype()
    x = m.token_embedding(tokens).to(cast) + m.positional_embedding[:length].to(cast)
    x = m.transformer(x, attn_mask=m.attn_mask[:length, :length])
    x = m.ln_final(x)
    x = x[torch.arange(x.shape[0]), tokens.argmax(dim=-1)]
    proj = m.text_projection
    return proj(x) if isinstance(proj, torch.nn.Linear) else x @ proj

"""A tiny random-weight SigLIP 2 in the published open_clip layout (``timm/ViT-B-16-SigLIP2-256``):
a timm ViT image tower with attention-pool head and no projection, open_clip's bidirectional
text tower read at its last token, and a Hugging Face tokenizer beside the weights.

The real Gemma tokenizer is not on an offline machine: the tiny build carries the small
unigram tokenizer of :mod:`picsift.models.tiny_multilingual`. timm's smallest ViT
(``vit_tiny_patch16_224``, width 192) stands in for the image tower, so the shared embedding
is 192-wide. Output is meaningless by design.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_CONTEXT = 64


def build_siglip2(out: Path) -> None:
    import open_clip

    from picsift.models.open_clip_folder import save_open_clip
    from picsift.models.tiny_multilingual import tokenizer

    words = tokenizer()
    words.save_pretrained(out)
    vision_cfg = {
        "image_size": 224,
        "timm_model_name": "vit_tiny_patch16_224",
        "timm_model_pretrained": False,
        "timm_pool": "map",
        "timm_proj": "none",
    }
    text_cfg: dict[str, Any] = {
        "context_length": _CONTEXT,
        "vocab_size": len(words),
        "hf_tokenizer_name": "timm/ViT-B-16-SigLIP2-256",  # read from this folder instead
        "tokenizer_kwargs": {"clean": "canonicalize"},
        "width": 64,
        "heads": 2,
        "layers": 2,
        "no_causal_mask": True,
        "proj_bias": True,
        "pool_type": "last",
        "norm_kwargs": {"eps": 1e-6},
        "act_kwargs": {"approximate": "tanh"},
    }
    model_cfg = {"embed_dim": 192, "init_logit_bias": -10, "vision_cfg": vision_cfg}
    model = open_clip.CustomTextCLIP(**model_cfg, text_cfg=text_cfg)
    published = {**model_cfg, "custom_text": True, "text_cfg": text_cfg}
    save_open_clip(out, model, published, {"mean": [0.5] * 3, "std": [0.5] * 3, "size": 224})

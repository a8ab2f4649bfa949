"""Tiny random-weight diffusion pipelines for the edit methods, in diffusers' published layout.

Each builder writes what ``DiffusionPipeline.save_pretrained`` writes for the real checkpoint
(``model_index.json``, then ``unet/``, ``vae/``, ``text_encoder/``, ``tokenizer/``,
``scheduler/``), so the product's one loading path (``from_pretrained`` on a folder) loads
it. The classes are the real ones (UNet2DConditionModel, AutoencoderKL, ControlNetModel,
CLIPTextModel + CLIPTokenizer); only the widths are toy. The VAE keeps Stable Diffusion's
8x down-sampling, so a 512 px picture gives the same 64x64 latent shape as the real model.

``full_size=True`` writes the default architectures (Stable Diffusion 1.5's UNet, VAE and
CLIP ViT-L/14 text encoder; ControlNet 1.1) with random weights, for benchmarks on machines
without the real weights.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

# The tokenizer: the first merges of CLIP's own BPE (open_clip ships the file), so prompts
# split the way CLIP splits them; the tiny text encoder's vocabulary stays small.
_TINY_MERGES = 2000
_SD15_UNET: dict[str, Any] = dict(
    sample_size=64,
    in_channels=4,
    out_channels=4,
    layers_per_block=2,
    block_out_channels=(320, 640, 1280, 1280),
    down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
    cross_attention_dim=768,
    attention_head_dim=8,
)
_TINY_UNET: dict[str, Any] = dict(
    sample_size=64,
    in_channels=4,
    out_channels=4,
    layers_per_block=1,
    block_out_channels=(32, 64),
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=32,
    attention_head_dim=4,
    norm_num_groups=8,
)
_SD15_VAE: dict[str, Any] = dict(
    in_channels=3,
    out_channels=3,
    latent_channels=4,
    block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    layers_per_block=2,
    sample_size=512,
)
_TINY_VAE: dict[str, Any] = dict(
    in_channels=3,
    out_channels=3,
    latent_channels=4,
    block_out_channels=(8, 8, 16, 16),
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    layers_per_block=1,
    norm_num_groups=8,
    sample_size=512,
)
# Stable Diffusion 1.5's noise schedule, as its scheduler_config.json holds it
_SCHEDULER: dict[str, Any] = dict(
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    num_train_timesteps=1000,
    steps_offset=1,
)


def _diffusers() -> Any:
    """diffusers, imported when a build runs (it is the edit extra)."""
    import diffusers

    return diffusers


def _clip_tokenizer(merges_kept: int | None) -> Any:
    """A CLIPTokenizer over CLIP's BPE: all 48,894 merges at full size, else the first few."""
    from open_clip.tokenizer import SimpleTokenizer

    tf: Any = importlib.import_module("transformers")
    ranked = sorted(SimpleTokenizer().bpe_ranks.items(), key=lambda kv: kv[1])
    merges = [pair for pair, _ in ranked][: merges_kept or len(ranked)]
    base = list(SimpleTokenizer().byte_encoder.values())
    tokens = base + [b + "</w>" for b in base] + ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    tokenizer = tf.CLIPTokenizer(
        vocab={t: i for i, t in enumerate(tokens)}, merges=[tuple(m) for m in merges]
    )
    tokenizer.model_max_length = 77
    return tokenizer


def _text_encoder(vocab_size: int, full_size: bool) -> Any:
    """CLIPTextModel; its start and end tokens are the tokenizer's last two."""
    tf: Any = importlib.import_module("transformers")
    ids: dict[str, Any] = {"bos_token_id": vocab_size - 2, "eos_token_id": vocab_size - 1}
    ids["pad_token_id"] = vocab_size - 1
    if full_size:  # CLIP ViT-L/14's text tower, as Stable Diffusion 1.5 uses
        config = tf.CLIPTextConfig(
            vocab_size=vocab_size,
            hidden_size=768,
            intermediate_size=3072,
            num_hidden_layers=12,
            num_attention_heads=12,
            projection_dim=768,
            hidden_act="quick_gelu",
            **ids,
        )
    else:
        config = tf.CLIPTextConfig(
            vocab_size=vocab_size,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            projection_dim=32,
            **ids,
        )
    return tf.CLIPTextModel(config).eval()


def _components(full_size: bool, unet_in: int = 4) -> dict[str, Any]:
    d = _diffusers()

    tokenizer = _clip_tokenizer(None if full_size else _TINY_MERGES)
    unet_cfg = dict(_SD15_UNET if full_size else _TINY_UNET, in_channels=unet_in)
    return {
        "unet": d.UNet2DConditionModel(**unet_cfg).eval(),
        "vae": d.AutoencoderKL(**(_SD15_VAE if full_size else _TINY_VAE)).eval(),
        "text_encoder": _text_encoder(len(tokenizer), full_size),
        "tokenizer": tokenizer,
    }


def _save(out: Path, pipeline: str, scheduler: str, parts: dict[str, Any]) -> None:
    """A pipeline of diffusers class ``pipeline`` over ``parts``, with SD 1.5's noise schedule
    in a ``scheduler``, saved in the published layout (no safety checker: README "Edits")."""
    d = _diffusers()
    pipe = getattr(d, pipeline)(
        **parts,
        scheduler=getattr(d, scheduler)(**_SCHEDULER),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(out, safe_serialization=True)


def build_instruct_pix2pix(out: Path, full_size: bool = False) -> None:
    """StableDiffusionInstructPix2PixPipeline: an 8-channel UNet (noisy latent + the
    picture's latent), Euler ancestral, as timbrooks/instruct-pix2pix."""
    parts = _components(full_size, unet_in=8)
    _save(out, "StableDiffusionInstructPix2PixPipeline", "EulerAncestralDiscreteScheduler", parts)


def build_sd15(out: Path, full_size: bool = False) -> None:
    """The Stable Diffusion 1.5 base the ControlNet method runs on (image-to-image)."""
    parts = _components(full_size)
    _save(out, "StableDiffusionImg2ImgPipeline", "UniPCMultistepScheduler", parts)


def build_lcm(out: Path, full_size: bool = False) -> None:
    """A latent consistency model (few steps, no classifier-free guidance pass) for the fast
    CPU method, as SimianLuo/LCM_Dreamshaper_v7: a UNet with a guidance embedding."""
    parts = _components(full_size)
    cfg = dict(_SD15_UNET if full_size else _TINY_UNET, time_cond_proj_dim=256 if full_size else 32)
    parts["unet"] = _diffusers().UNet2DConditionModel(**cfg).eval()
    _save(out, "LatentConsistencyModelImg2ImgPipeline", "LCMScheduler", parts)


def build_controlnet(out: Path, full_size: bool = False) -> None:
    """One ControlNetModel shaped for the base UNet (ControlNet 1.1 for SD 1.5)."""
    d = _diffusers()

    cfg = {k: v for k, v in (_SD15_UNET if full_size else _TINY_UNET).items()}
    for unused in ("sample_size", "out_channels", "up_block_types"):
        cfg.pop(unused)
    if not full_size:
        cfg["conditioning_embedding_out_channels"] = (8, 16, 32, 32)
    d.ControlNetModel(**cfg).eval().save_pretrained(out, safe_serialization=True)

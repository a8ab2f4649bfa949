"""Florence-2 base captioning on a CPU: the naive loop against picsift's fp32 and int8 paths.

The default captioner's architecture at random weights (same compute as the real model),
every caption exactly ``--tokens`` long (min = max new tokens: random weights never stop
early, real ones do, so real captions cost at most this). Interleaved round by round:

- naive: what a user writes from the model card: processor + ``generate`` one image at a time
  (greedy);
- picsift fp32: ``TransformersCaptioner`` batched (greedy);
- picsift int8: the same with ``runtime = "int8"`` (dynamic quantisation of Linear layers);
- picsift bf16: the same with ``runtime = "bf16"`` (bfloat16 weights; AMX / AVX512-BF16);
- picsift bf16-compile: bf16 with the vision encoder through ``torch.compile`` (its one-off
  compile, in the warm-up, is reported apart as ``compile_seconds``).

``--variants`` picks a subset (the naive loop always runs: the ratios are against it).
``captions_identical`` gives, for every pair of variants, the share of images whose captions
(greedy token sequences, decoded) are the same: bf16-compile against bf16 checks that the
compiled encoder computes what the eager one does; anything against fp32 shows how often
bfloat16 or int8 rounding flips a token (random weights give nearly flat next-token scores,
so real weights flip fewer). Because random-weight Florence-2 tends to repeat one token per
image, captions can agree while the arithmetic differs; ``encoder_cosine`` measures that
directly: the cosine between the vision encoder's outputs for the same photos, per pair.

Run: ``.venv/bin/python bench/bench_captioner.py [--images 8 --rounds 3 --tokens 30]``
(writes bench/results/captioner.json)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from picsift.models.captioner import TransformersCaptioner
from picsift.models.tiny import build_full_size_random
from picsift.resources import sample_photos_dir

REPO = Path(__file__).resolve().parent.parent
PROMPT = "<MORE_DETAILED_CAPTION>"


def naive(folder: Path, images: list[Image.Image], tokens: int) -> float:
    import transformers

    processor = transformers.AutoProcessor.from_pretrained(folder)
    model = transformers.Florence2ForConditionalGeneration.from_pretrained(folder).eval()
    start = time.perf_counter()
    for image in images:
        inputs = processor(text=PROMPT, images=image, return_tensors="pt")
        with torch.no_grad():
            out = model.generate(
                input_ids=inputs["input_ids"],
                pixel_values=inputs["pixel_values"],
                max_new_tokens=tokens,
                min_new_tokens=tokens,
                num_beams=1,
                do_sample=False,
            )
        processor.batch_decode(out, skip_special_tokens=True)
    return (time.perf_counter() - start) / len(images)


def encoder_output(captioner: TransformersCaptioner, images: list[Image.Image]) -> torch.Tensor:
    """The vision encoder's output for ``images``, one flat float32 row per image."""
    module = captioner._model  # a benchmark may look inside: the product never needs this
    for part in "model.vision_tower".split("."):
        module = getattr(module, part)
    pixels = captioner._preprocess(images)["pixel_values"]
    dtype = next(module.parameters()).dtype
    with torch.inference_mode():
        out = module(pixels.to(dtype))
    if not torch.is_tensor(out):
        out = out[0] if isinstance(out, tuple | list) else out.last_hidden_state
    return out.float().flatten(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=30)
    ap.add_argument("--variants", default="fp32,int8,bf16,bf16-compile")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "captioner.json")
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    photos = [Image.open(p).convert("RGB") for p in sorted(sample_photos_dir().glob("*.jpg"))]
    images = [photos[i % len(photos)] for i in range(args.images)]
    options = {
        "model_class": "Florence2ForConditionalGeneration",
        "prompt": PROMPT,
        "max_new_tokens": args.tokens,
        "min_new_tokens": args.tokens,
        "num_beams": 1,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_full_size_random("florence-2-base", Path(tmp) / "florence")
        cpu = torch.device("cpu")
        runtimes = {"fp32": "torch", "int8": "int8", "bf16": "bf16", "bf16-compile": "bf16-compile"}
        compile_module = {"compile_module": "model.vision_tower"}
        variants = {
            f"picsift_{name}": TransformersCaptioner(
                folder, "m", cpu, {**options, **compile_module, "runtime": runtimes[name]}
            )
            for name in args.variants.split(",")
        }
        compile_seconds = {}
        for name, captioner in variants.items():  # warm-up, at the batch size measured
            start = time.perf_counter()
            captioner.caption(images[: args.batch_size])
            compile_seconds[name] = round(time.perf_counter() - start, 1)
        features = {k: encoder_output(c, images[: args.batch_size]) for k, c in variants.items()}
        seconds: dict[str, list[float]] = {"naive": [], **{k: [] for k in variants}}
        names = list(variants)
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
        same: dict[str, list[float]] = {f"{b} vs {a}": [] for a, b in pairs}
        cosine = {
            f"{b} vs {a}": [
                round(float(x), 5)
                for x in torch.nn.functional.cosine_similarity(features[a], features[b])
            ]
            for a, b in pairs
        }
        for r in range(args.rounds):
            seconds["naive"].append(naive(folder, images[:4], args.tokens))
            outputs = {}
            for name, captioner in variants.items():
                start = time.perf_counter()
                got: list[str] = []
                for i in range(0, len(images), args.batch_size):
                    got += captioner.caption(images[i : i + args.batch_size])
                seconds[name].append((time.perf_counter() - start) / len(images))
                outputs[name] = got
            for a, b in pairs:
                both = zip(outputs[a], outputs[b], strict=True)
                same[f"{b} vs {a}"].append(statistics.fmean(x == y for x, y in both))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in seconds.items()))
    med = {k: round(statistics.median(v), 3) for k, v in seconds.items()}
    result: dict[str, Any] = {
        "note": "Florence-2 base at random weights: speed only; captions meaningless",
        "images": args.images,
        "batch_size": args.batch_size,
        "tokens": args.tokens,
        "rounds": args.rounds,
        "seconds_per_image_median": med,
        "speedup_over_naive": {k: round(med["naive"] / v, 2) for k, v in med.items()},
        "captions_identical": {k: round(statistics.fmean(v), 3) for k, v in same.items() if v},
        "encoder_cosine": cosine,
        "warm_up_seconds": compile_seconds,
        "load_average_after": os.getloadavg(),
        "seconds_per_image": seconds,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "seconds_per_image"}, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

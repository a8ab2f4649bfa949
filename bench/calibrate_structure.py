"""Choose the edit structure threshold on real photos, and measure it on photos it was not
chosen on.

No edit model's weights are on this machine, so the pairs are made without one, from the
CC0 clothing photos (``../shared/datasets/clothing``), split by file name hash:

- **kept** (the structure is the original's): the photo darkened to a third (night), greyed,
  colour-graded warm, blurred, JPEG at quality 15, with sensor noise, or restyled by an
  edge-preserving filter (OpenCV ``stylization``, a painterly look);
- **broken** (it is not): another photo of the same class (the hardest unrelated picture),
  the photo shifted by a tenth of its width, or mirrored (same content, other layout).

The score is the edge part of the structure score (:func:`picsift.edit.scores.edge_f_score`
on :func:`~picsift.edit.scores.structure_edges`); the depth part needs a depth model's real
weights and is not calibrated here. The threshold maximises balanced accuracy on the tune
split; the test split reports the share of each kind it gets right.

Run: ``.venv/bin/python bench/calibrate_structure.py [--per-split 150]`` (writes
bench/results/structure_threshold.json).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from picsift.edit.scores import edge_f_score, structure_edges  # noqa: E402

CLOTHING = REPO.parent / "shared" / "datasets" / "clothing"
Change = Callable[[Image.Image], Image.Image]


def _jpeg(im: Image.Image, quality: int = 15) -> Image.Image:
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _noise(im: Image.Image) -> Image.Image:
    rng = np.random.default_rng(0)
    pixels = np.asarray(im, np.float32) + rng.normal(0, 12, (im.height, im.width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _stylise(im: Image.Image) -> Image.Image:
    bgr = cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2BGR)
    return Image.fromarray(
        cv2.cvtColor(cv2.stylization(bgr, sigma_s=40, sigma_r=0.3), cv2.COLOR_BGR2RGB)
    )


def _shift(im: Image.Image) -> Image.Image:
    dx = im.width // 10
    pixels = np.asarray(im)
    return Image.fromarray(np.concatenate([pixels[:, dx:], pixels[:, :dx]], axis=1))


KEPT: dict[str, Change] = {
    "night": lambda im: Image.fromarray((np.asarray(im, np.float32) * 0.33).astype(np.uint8)),
    "grey": lambda im: ImageEnhance.Color(im).enhance(0.0).convert("RGB"),
    "warm grade": lambda im: Image.fromarray(
        np.clip(np.asarray(im, np.float32) * [1.15, 0.95, 0.7], 0, 255).astype(np.uint8)
    ),
    "blur": lambda im: im.filter(ImageFilter.GaussianBlur(1.5)),
    "jpeg 15": _jpeg,
    "noise": _noise,
    "stylised": _stylise,
}
BROKEN_SELF: dict[str, Change] = {
    "shifted a tenth": _shift,
    "mirrored": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
}


def _photos(per_split: int) -> dict[str, list[tuple[Path, str]]]:
    labels: dict[str, str] = {}
    for line in (CLOTHING / "labels.csv").read_text().splitlines()[1:]:
        name, label = line.split(",")[:2]
        labels[name] = label
    found = sorted((CLOTHING / "images").glob("*.jpg"))
    splits: dict[str, list[tuple[Path, str]]] = {"tune": [], "test": []}
    for path in found:
        digit = int(hashlib.sha256(path.name.encode()).hexdigest(), 16) % 2
        split = "tune" if digit == 0 else "test"
        if len(splits[split]) < per_split:
            splits[split].append((path, labels.get(path.name, "?")))
    return splits


def _load(path: Path) -> Image.Image:
    with Image.open(path) as im:
        picture = im.convert("RGB")
    picture.thumbnail((512, 512))
    return picture


def _scores(photos: list[tuple[Path, str]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {name: [] for name in [*KEPT, *BROKEN_SELF, "other photo"]}
    by_class: dict[str, list[Path]] = {}
    for path, label in photos:
        by_class.setdefault(label, []).append(path)
    for path, label in photos:
        picture = _load(path)
        edges = structure_edges(picture)
        for name, change in {**KEPT, **BROKEN_SELF}.items():
            out[name].append(edge_f_score(edges, structure_edges(change(picture))))
        peers = [p for p in by_class[label] if p != path] or [p for p, _ in photos if p != path]
        other = _load(peers[hash(path.name) % len(peers)]).resize(picture.size)
        out["other photo"].append(edge_f_score(edges, structure_edges(other)))
    return out


def _split(scores: dict[str, list[float]]) -> tuple[list[float], list[float]]:
    kept = [v for name in KEPT for v in scores[name]]
    broken = [v for name in [*BROKEN_SELF, "other photo"] for v in scores[name]]
    return kept, broken


def _balanced(kept: list[float], broken: list[float], threshold: float) -> float:
    hits = np.mean([v >= threshold for v in kept]) + np.mean([v < threshold for v in broken])
    return float(hits / 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-split", type=int, default=150)
    ap.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results" / "structure_threshold.json"
    )
    args = ap.parse_args()
    if not (CLOTHING / "images").is_dir():
        sys.exit(f"needs the clothing photos at {CLOTHING}")
    splits = _photos(args.per_split)
    tune = _scores(splits["tune"])
    kept, broken = _split(tune)
    grid = [round(t, 2) for t in np.arange(0.05, 1.0, 0.01)]
    threshold = max(grid, key=lambda t: (_balanced(kept, broken, t), -abs(t - 0.5)))
    test = _scores(splits["test"])
    report = {
        "note": "edge part of the structure score only; pairs made without an edit model",
        "photos": {k: len(v) for k, v in splits.items()},
        "threshold_edges": threshold,
        "tune_balanced_accuracy": round(_balanced(kept, broken, threshold), 4),
        "test_balanced_accuracy": round(_balanced(*_split(test), threshold), 4),
        "test": {
            name: {
                "median": round(statistics.median(values), 3),
                "kept_share" if name in KEPT else "refused_share": round(
                    float(np.mean([(v >= threshold) == (name in KEPT) for v in values])), 3
                ),
            }
            for name, values in test.items()
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

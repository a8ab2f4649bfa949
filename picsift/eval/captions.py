"""``picsift eval captions``: several captioners side by side on the same photos.

For each preset: captions for every referenced image (batched, as the indexer does), seconds
per image, peak memory, the COCO reference metrics, CLIPScore with that preset's CLIP model,
and length/vocabulary statistics; then agreement between the captioners.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.eval import caption_metrics as cm
from picsift.eval.files import decode_all, read_jsonl
from picsift.models.presets import Preset
from picsift.models.provider import ModelProvider

FORMAT = '{"file": ..., "captions": [...]}'


@dataclass(frozen=True)
class Reference:
    file: str
    captions: list[str]


@dataclass
class CaptionerRun:
    preset: str
    captioner: str
    embedder: str
    meaningless: bool
    seconds_per_image: float
    peak_rss_mb: float | None
    metrics: dict[str, Any]
    clip_score: float
    stats: dict[str, float]
    captions: dict[str, str] = field(repr=False)


@dataclass
class CaptionsReport:
    images: int
    skipped: list[str]
    runs: list[CaptionerRun]
    agreement: dict[str, float]

    def to_dict(self, with_captions: bool = False) -> dict[str, Any]:
        runs = []
        for run in self.runs:
            d = asdict(run)
            if not with_captions:
                d.pop("captions")
            runs.append(d)
        return {
            "images": self.images,
            "skipped": self.skipped,
            "runs": runs,
            "agreement": self.agreement,
        }


def load_references(path: Path) -> list[Reference]:
    """JSONL lines ``{"file": ..., "captions": [...]}`` (or ``"caption": "..."``)."""
    out = []
    for number, item in read_jsonl(path, FORMAT):
        captions = item.get("captions") or [item.get("caption")]
        if not isinstance(item.get("file"), str) or not all(isinstance(c, str) for c in captions):
            raise PicsiftError(f"{path}:{number}: expected {FORMAT} with text values")
        out.append(Reference(item["file"], list(captions)))
    return out


def _reset_peak_rss() -> bool:
    """Linux: writing 5 to clear_refs resets the peak-RSS counter (VmHWM) of this process."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def evaluate_captions(
    presets: Sequence[Preset],
    references: Sequence[Reference],
    images_dir: Path,
    settings: Settings,
    progress: Callable[[str], None] | None = None,
) -> CaptionsReport:
    by_file, skipped = decode_all(images_dir, [r.file for r in references], settings)
    decoded = [(ref, by_file[ref.file]) for ref in references if ref.file in by_file]
    refs = {ref.file: ref.captions for ref, _ in decoded}
    images = [image for _, image in decoded]
    runs = []
    for preset in presets:
        if progress:
            progress(f"captioning {len(images)} images with preset '{preset.name}'")
        runs.append(_run(preset, decoded, images, refs, settings))
        gc.collect()
    by_model = {run.preset: run.captions for run in runs}
    return CaptionsReport(len(decoded), skipped, runs, cm.agreement(by_model))


def _run(
    preset: Preset,
    decoded: list[tuple[Reference, Any]],
    images: list[Any],
    refs: dict[str, list[str]],
    settings: Settings,
) -> CaptionerRun:
    measured = _reset_peak_rss()
    provider = ModelProvider(settings, preset)
    captioner = provider.captioner()
    captioner.caption(images[:1])  # warm-up: first call pays one-off allocations
    start = time.perf_counter()
    captions: list[str] = []
    for i in range(0, len(images), settings.batch_size):
        captions += captioner.caption(images[i : i + settings.batch_size])
    seconds = (time.perf_counter() - start) / len(images)
    peak = _peak_rss_mb() if measured else None
    by_file = {ref.file: c for (ref, _), c in zip(decoded, captions, strict=True)}
    embedder = provider.embedder()
    image_vectors = embedder.embed_images(images)
    text_vectors = embedder.embed_texts([cm.CLIPSCORE_PREFIX + c for c in captions])
    return CaptionerRun(
        preset=preset.name,
        captioner=captioner.model_id,
        embedder=embedder.model_id,
        meaningless=preset.meaningless,
        seconds_per_image=round(seconds, 4),
        peak_rss_mb=peak,
        metrics=cm.reference_metrics(by_file, refs),
        clip_score=round(cm.clip_score(np.asarray(image_vectors), np.asarray(text_vectors)), 4),
        stats=cm.text_stats(captions),
        captions=by_file,
    )

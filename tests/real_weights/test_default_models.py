"""Do the default models behave as they should once downloaded? Thresholds were written
before any run (no machine here has the weights), from what these models are known to do on
product photos; a failure means a broken download, a wrong revision or a runtime that drifted.

- CLIP ViT-B/32 zero-shot over the 10 clothing classes: the true class in the top 3 for at
  least 80 % of the shipped samples (and of the clothing dev set's photos, where present);
- Florence-2's caption names the class or a synonym for at least 90 % of the samples;
- every fast runtime agrees with the fp32 reference: CLIP image vectors at cosine >= 0.99
  (onnx) / 0.97 (onnx-int8) and the same zero-shot top-1; captions sharing at least 60 % of
  their words (Jaccard, mean over the samples) for bf16, bf16-compile and int8;
- ``eval retrieval`` on the clothing dev set: the fusion's MRR at least the best channel's.
"""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
from PIL import Image

from picsift.config import Settings
from picsift.errors import ModelUnavailableError
from picsift.models.presets import Preset
from picsift.models.provider import ModelProvider
from tests.conftest import CLOTHING, REPO, SAMPLES

pytestmark = pytest.mark.real_weights

CLASSES = {  # label -> what to call it in a CLIP prompt, and words a caption may use for it
    "dress": ("dress", {"dress", "gown"}),
    "hat": ("hat", {"hat", "cap", "beanie", "fedora", "beret"}),
    "longsleeve": (
        "long-sleeved top",
        {"shirt", "sweater", "top", "sweatshirt", "blouse", "jumper", "hoodie", "pullover"},
    ),
    "outwear": ("jacket or coat", {"jacket", "coat", "parka", "vest", "blazer", "hoodie"}),
    "pants": ("pair of trousers", {"pants", "trousers", "jeans", "slacks", "leggings"}),
    "shirt": ("shirt", {"shirt", "blouse", "top"}),
    "shoes": ("pair of shoes", {"shoe", "shoes", "sneaker", "sneakers", "boot", "boots", "sandal"}),
    "shorts": ("pair of shorts", {"shorts"}),
    "skirt": ("skirt", {"skirt"}),
    "t-shirt": ("t-shirt", {"t-shirt", "shirt", "tee", "top"}),
}


def _samples() -> list[tuple[Image.Image, str]]:
    with open(SAMPLES / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return [(Image.open(SAMPLES / r["file"]).convert("RGB"), r["label"]) for r in rows]


def _top3_share(models: ModelProvider, pictures: list[tuple[Image.Image, str]]) -> float:
    embedder = models.embedder()
    labels = list(CLASSES)
    texts = embedder.embed_texts([f"a photo of a {CLASSES[c][0]}." for c in labels])
    images = embedder.embed_images([p for p, _ in pictures])
    scores = images @ texts.T
    hits = [
        labels.index(label) in np.argsort(-row)[:3]
        for row, (_, label) in zip(scores, pictures, strict=True)
    ]
    return float(np.mean(hits))


def test_clip_zero_shot_finds_the_class_in_its_top_3(real_models: ModelProvider) -> None:
    assert _top3_share(real_models, _samples()) >= 0.8


def test_clip_zero_shot_on_the_clothing_dev_set(real_models: ModelProvider) -> None:
    if not (CLOTHING / "images").is_dir():
        pytest.skip("needs ../shared/datasets/clothing (present in CI, absent in a plain clone)")
    with open(CLOTHING / "labels.csv", newline="") as f:
        label = {r["file"]: r["label"] for r in csv.DictReader(f)}
    files = (REPO / "data" / "eval" / "clothing" / "files.txt").read_text().split()
    pictures = [(Image.open(CLOTHING / "images" / n).convert("RGB"), label[n]) for n in files]
    assert _top3_share(real_models, pictures) >= 0.8


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z][a-z-]*", text.lower()))


def test_florence_captions_name_the_class(real_models: ModelProvider) -> None:
    samples = _samples()
    captions = real_models.captioner().caption([p for p, _ in samples])
    named = [
        bool(_words(c) & CLASSES[label][1]) for c, (_, label) in zip(captions, samples, strict=True)
    ]
    assert np.mean(named) >= 0.9, list(zip(captions, [label for _, label in samples], strict=True))


def _with_runtime(settings: Settings, preset: Preset, **runtime: str) -> ModelProvider:
    return ModelProvider(settings.model_copy(update=runtime), preset)


@pytest.mark.parametrize(("runtime", "cosine"), [("onnx", 0.99), ("onnx-int8", 0.97)])
def test_clip_runtimes_agree_with_fp32(
    real_models: ModelProvider, real_settings: Settings, preset: Preset, runtime: str, cosine: float
) -> None:
    pictures = [p for p, _ in _samples()]
    reference = real_models.embedder().embed_images(pictures)
    try:
        fast = _with_runtime(real_settings, preset, embedder_runtime=runtime).embedder()
        vectors = fast.embed_images(pictures)
    except ModelUnavailableError as exc:
        pytest.skip(f"{runtime}: run `picsift models export {preset.name}` first ({exc})")
    assert float(np.min(np.sum(reference * vectors, axis=1))) >= cosine
    texts = real_models.embedder().embed_texts([f"a photo of a {v[0]}." for v in CLASSES.values()])
    assert np.array_equal(np.argmax(reference @ texts.T, 1), np.argmax(vectors @ texts.T, 1))


@pytest.mark.parametrize("runtime", ["bf16", "bf16-compile", "int8"])
def test_captioner_runtimes_agree_with_fp32(
    real_models: ModelProvider, real_settings: Settings, preset: Preset, runtime: str
) -> None:
    pictures = [p for p, _ in _samples()]
    reference = real_models.captioner().caption(pictures)
    fast = _with_runtime(real_settings, preset, captioner_runtime=runtime).captioner()
    captions = fast.caption(pictures)
    overlap = [
        len(_words(a) & _words(b)) / max(1, len(_words(a) | _words(b)))
        for a, b in zip(reference, captions, strict=True)
    ]
    assert float(np.mean(overlap)) >= 0.6, list(zip(reference, captions, strict=True))


def test_fusion_is_at_least_the_best_channel_on_the_dev_set(
    real_models: ModelProvider, real_settings: Settings, preset: Preset
) -> None:
    if not (CLOTHING / "images").is_dir():
        pytest.skip("needs ../shared/datasets/clothing (present in CI, absent in a plain clone)")
    import shutil

    from picsift.eval.retrieval import evaluate, load_queries
    from picsift.indexer import Indexer
    from picsift.search import SearchService
    from picsift.store import Store

    folder = real_settings.home.parent / "dev"
    folder.mkdir()
    for name in (REPO / "data" / "eval" / "clothing" / "files.txt").read_text().split():
        shutil.copy(CLOTHING / "images" / name, folder / name)
    queries = load_queries(REPO / "data" / "eval" / "clothing" / "queries.jsonl")
    with Store.open(real_settings) as store:
        assert Indexer(store, real_models, real_settings).run([folder]).complete
        service = SearchService(store, real_models, real_settings)
        results = evaluate(
            service,
            store,
            queries,
            channels=("clip", "caption", "words"),
            fused_weights=real_settings.search_weights,
            root=folder,
        )
    by_name = {r.name: r.mrr for r in results}
    best = max(v for k, v in by_name.items() if k != "fused")
    assert by_name["fused"] >= best, by_name

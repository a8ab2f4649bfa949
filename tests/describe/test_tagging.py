"""The tags facet: zero-shot labels per vocabulary, thresholds, merging, and the tiny preset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from picsift.config import Settings
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.describe.model import Tag
from picsift.describe.tagging import Tagger, merge_tags, select_tags
from picsift.describe.vocabularies import Vocabulary, find_vocabularies
from picsift.models.presets import PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.models.zeroshot import LabelBank, LabelBanks
from picsift.resources import data_dir
from tests.fakes import FakeEmbedder, FakeModels

COLOURS = ("red", "green", "blue")


def _vocab(name: str = "colours", **kw: object) -> Vocabulary:
    return Vocabulary(name, Path(f"{name}.txt"), COLOURS, **kw)  # type: ignore[arg-type]


def _bank() -> LabelBank:
    return LabelBank("m", COLOURS, np.eye(3, dtype=np.float32))


def test_threshold_margin_and_top_decide_the_tags() -> None:
    vectors = np.array([[0.9, 0.3, 0.1], [0.5, 0.48, 0.1], [0.1, 0.1, 0.1]], np.float32)
    tags = select_tags(_bank(), _vocab(threshold=0.25, margin=0.05, top=3), vectors)
    assert [t.label for t in tags[0]] == ["red"]  # green is above the threshold but far behind
    assert [t.label for t in tags[1]] == ["red", "green"]  # close second kept
    assert tags[2] == []  # nothing clears the threshold: no tag rather than a wrong one
    top1 = select_tags(_bank(), _vocab(margin=1.0, top=1), vectors)
    assert [len(t) for t in top1] == [1, 1, 0]
    assert select_tags(_bank(), _vocab(top=0), vectors) == [[], [], []]


def test_merge_keeps_each_label_once_with_its_best_score() -> None:
    a = [
        Tag(label="bed", vocabulary="hotel", score=0.3),
        Tag(label="lamp", vocabulary="hotel", score=0.26),
    ]
    b = [
        Tag(label="bed", vocabulary="general", score=0.28),
        Tag(label="sofa", vocabulary="general", score=0.29),
    ]
    merged = merge_tags([a, b], limit=2)
    assert [(t.label, t.vocabulary) for t in merged] == [("bed", "hotel"), ("sofa", "general")]


def test_fake_embedder_makes_the_known_label_win(tmp_path: Path) -> None:
    vocab = _vocab(threshold=0.5)
    tagger = Tagger(FakeEmbedder(), [vocab], LabelBanks(tmp_path))
    embedder = FakeEmbedder()
    images = [Image.new("RGB", (32, 32), c) for c in ((220, 40, 40), (40, 70, 220))]
    tags = tagger.tag_vectors(embedder.embed_images(images))
    assert [[t.label for t in image] for image in tags] == [["red"], ["blue"]]
    assert all(t.vocabulary == "colours" and t.score > 0.9 for image in tags for t in image)
    with pytest.raises(ValueError, match="16-d vectors"):
        tagger.tag_vectors(np.ones((1, 5), np.float32))


def test_a_user_vocabulary_is_picked_up_without_code(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "vocabularies").mkdir(parents=True)
    (home / "vocabularies" / "paint.txt").write_text("#: threshold = 0.5\nred paint\nblue paint\n")
    settings = Settings(home=home, tag_vocabularies=["paint"])
    facets = FacetRunner(FacetTools(settings, FakeModels()))
    red = Image.new("RGB", (32, 32), (220, 40, 40))
    from picsift.describe.facets import Description

    (described,) = facets.batched([Description()], [red], ["tags"])
    assert described.tags == ["red paint"]
    assert described.tag_scores[0].vocabulary == "paint"
    assert (home / "cache").is_dir()  # the label bank is kept for the next process


def test_tiny_preset_tags_through_the_real_loading_code(tiny_env: Path, tmp_path: Path) -> None:
    """Mechanics only: random weights, so which labels win means nothing."""
    settings = Settings(home=tmp_path / "home", models_dir=tiny_env)
    provider = ModelProvider(settings, PresetCatalog(settings.home / "p.toml").preset("tiny"))
    vocabularies = find_vocabularies([data_dir() / "vocabularies"])
    tagger = Tagger(provider.embedder(), vocabularies, LabelBanks(tmp_path / "cache"), limit=7)
    photo = Image.open(next((data_dir() / "samples").glob("*.jpg"))).convert("RGB")
    vectors = provider.embedder().embed_images([photo, photo.rotate(90)])
    by_name = {v.name: v for v in vocabularies}
    for tags in tagger.tag_vectors(vectors):
        assert len(tags) <= 7
        for tag in tags:
            vocab = by_name[tag.vocabulary]
            assert tag.label in vocab.labels and tag.score >= vocab.threshold - 1e-6

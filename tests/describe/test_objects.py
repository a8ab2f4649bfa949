"""The objects facet: counts and positions in words, and the detector's parsed output."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from picsift.config import Settings
from picsift.describe.facets import compute_facets
from picsift.describe.facets.objects import with_objects
from picsift.describe.model import DetectedObject
from picsift.describe.objects import count_phrase, object_phrases, plural
from picsift.describe.service import DescribeService
from picsift.models.base import Detection, ObjectDetector
from picsift.models.presets import PresetCatalog
from picsift.models.provider import ModelProvider
from tests.fakes import FakeModels


def test_counts_read_like_english() -> None:
    assert [
        plural(w) for w in ("chair", "glass", "box", "berry", "day", "person", "wine glass")
    ] == [
        "chairs",
        "glasses",
        "boxes",
        "berries",
        "days",
        "people",
        "wine glasses",
    ]
    assert count_phrase(3, "chair") == "three chairs"
    assert count_phrase(1, "apple") == "an apple" and count_phrase(12, "cup") == "12 cups"


def test_lone_objects_say_where_they_are() -> None:
    objects = [
        DetectedObject(label="chair", box=(0.4, 0.4, 0.6, 0.6), position="centre"),
        DetectedObject(label="chair", box=(0.7, 0.4, 0.9, 0.6), position="middle right"),
        DetectedObject(label="lamp", box=(0.0, 0.0, 0.2, 0.3), position="top left"),
        DetectedObject(label="rug", box=(0.3, 0.4, 0.6, 0.6), position="middle left"),
    ]
    assert object_phrases(objects) == ["two chairs", "a lamp at the top left", "a rug on the left"]


def test_the_largest_object_becomes_the_subject() -> None:
    image = Image.new("RGB", (400, 300), "white")
    described = compute_facets(image, ["composition"])
    got = with_objects(
        described,
        [Detection("cup", (0.0, 0.0, 0.1, 0.1)), Detection("table", (0.55, 0.5, 1.0, 1.0))],
    )
    assert got.object_counts == {"cup": 1, "table": 1}
    assert got.composition is not None
    assert got.composition.subject_source == "objects"
    assert got.composition.subject_position == "bottom right"


def test_describe_objects_with_a_detector_and_without(tmp_path: Path) -> None:
    image = tmp_path / "left.png"
    picture = Image.new("RGB", (300, 200), "white")
    picture.paste((200, 30, 30), (10, 60, 90, 140))
    picture.save(image)
    settings = Settings(home=tmp_path / "home")
    with_detector = DescribeService(FakeModels(detector=True), settings)
    (d,) = with_detector.describe_files([image], ["caption", "objects"], "paragraph")
    assert d.facets is not None and d.facets["object_counts"] == {"square": 1}
    assert d.text is not None and "It shows a square on the left." in d.text
    plain = DescribeService(FakeModels(), settings)
    (d,) = plain.describe_files([image], ["objects"], "json")
    assert d.facets is not None and d.facets["objects"] == []
    assert "cannot detect objects" in d.facets["facets_missing"]["objects"]


def test_florence_detection_output_is_parsed(tiny_env: Path, tmp_path: Path) -> None:
    """The tiny Florence-2 runs <OD> through the real processor; its boxes are parsed."""
    settings = Settings(home=tmp_path / "home", models_dir=tiny_env)
    provider = ModelProvider(settings, PresetCatalog(settings.home / "p.toml").preset("tiny"))
    captioner = provider.captioner()
    assert isinstance(captioner, ObjectDetector) and captioner.can_detect
    image = Image.new("RGB", (640, 480), "grey")
    (found,) = captioner.detect_objects([image])  # random weights: any number of boxes
    assert all(0.0 <= v <= 1.0 for det in found for v in det.box)
    text = "</s><s>chair<loc_100><loc_200><loc_300><loc_400>lamp<loc_0><loc_0><loc_99><loc_999></s>"
    parsed = captioner._parse_boxes(text, "<OD>", image.size)  # the real post-processor
    assert [d.label for d in parsed] == ["chair", "lamp"]
    assert abs(parsed[0].box[0] - 0.1) < 0.01 and abs(parsed[1].box[3] - 1.0) < 0.01

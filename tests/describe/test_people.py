"""The people facet: count, boxes and coarse poses from keypoints; with fakes (exact), and
the tiny pose model through the real loading code (mechanics only: random weights)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from picsift.config import Settings
from picsift.describe.facets import FACETS
from picsift.describe.facets.people import facing, people_facet, posture
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.describe.templates import TemplateRenderer
from picsift.models.base import Keypoints
from picsift.models.presets import PresetCatalog
from picsift.models.provider import ModelProvider
from tests.fakes import FakeModels, _fake_keypoints


def _sitting() -> Keypoints:
    """Upright torso, knees level with the hips."""
    points = list(_fake_keypoints((0.0, 0.0, 0.5, 1.0)).points)
    for knee, hip in ((13, 11), (14, 12)):
        points[knee] = (points[knee][0] + 0.1, points[hip][1] + 0.05)
    return Keypoints(tuple(points), tuple([0.9] * 17))


def test_poses_from_keypoints() -> None:
    assert posture(_fake_keypoints((0.1, 0.1, 0.3, 0.9))) == "standing"
    assert posture(_fake_keypoints((0.1, 0.6, 0.9, 0.8))) == "lying"
    assert posture(_sitting()) == "sitting"
    unseen = Keypoints(tuple([(0.5, 0.5)] * 17), tuple([0.0] * 17))
    assert posture(unseen) == "unknown" and facing(unseen) is None
    assert facing(_fake_keypoints((0.1, 0.1, 0.3, 0.9))) is True
    back = Keypoints(_sitting().points, tuple([0.0] * 5 + [0.9] * 12))
    assert facing(back) is False


def test_people_from_the_detectors_boxes_read_in_the_paragraph() -> None:
    image = Image.new("RGB", (100, 100), "white")
    image.paste((10, 10, 10), (30, 10, 60, 90))  # the fake detector boxes what is not white
    models = FakeModels(detector=True)
    models.captioner().detect_objects = lambda images: [  # type: ignore[method-assign]
        [d.__class__("person", d.box) for d in found]
        for found in type(models.captioner()).detect_objects(models.captioner(), images)
    ]
    runner = FacetRunner(FacetTools(Settings(), models))
    (described,) = runner.batched([runner.per_image(image, ["people"])], [image], ["people"])
    people = described.people  # type: ignore[attr-defined]
    assert people.count == 1 and people.people[0].pose == "standing"
    assert people.people[0].facing_camera is True
    labels, _ = FACETS.words(described)
    assert labels is not None and {"people", "standing"} <= set(labels.split())
    assert "It shows a person standing." in TemplateRenderer().render("paragraph", described)


def test_no_people_and_no_detector() -> None:
    empty = people_facet([], [])
    assert empty.count == 0
    image = Image.new("RGB", (40, 40), "white")
    runner = FacetRunner(FacetTools(Settings(), FakeModels()))  # captioner cannot detect
    (described,) = runner.batched([runner.per_image(image, ["people"])], [image], ["people"])
    assert "cannot detect" in described.facets_missing["people"]
    assert "people" not in FACETS.defaults("index")


def test_tiny_pose_through_the_real_loading_code(tiny_env: Path, tmp_path: Path) -> None:
    """Mechanics only: random weights, so the keypoints mean nothing."""
    settings = Settings(home=tmp_path / "home", models_dir=tiny_env)
    provider = ModelProvider(settings, PresetCatalog(settings.home / "p.toml").preset("tiny"))
    estimator = provider.pose()
    assert provider.pose() is estimator
    images = [Image.new("RGB", (120, 90), "grey"), Image.new("RGB", (40, 70))]
    found = estimator.keypoints(images, [[(0.1, 0.1, 0.5, 0.9), (0.5, 0.2, 0.9, 0.8)], []])
    assert [len(f) for f in found] == [2, 0]
    assert all(len(k.points) == 17 and len(k.scores) == 17 for k in found[0])
    facet = people_facet([(0.1, 0.1, 0.5, 0.9), (0.5, 0.2, 0.9, 0.8)], found[0])
    assert facet.count == 2

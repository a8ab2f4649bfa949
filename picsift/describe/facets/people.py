"""People facet: how many people, and for each a box and a coarse pose (standing, sitting,
lying; facing the camera or not), from body keypoints.

The person boxes are the objects facet's when it ran (a detector's "person", "man",
"woman", …), else the captioner's detector is asked (Florence-2 can; other captioners make
the facet unavailable). ViTPose then gives COCO's 17 keypoints per box, and simple geometry
gives the pose. Nothing here recognises who a person is: no face or identity model runs,
and nothing about a person but box and pose is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from picsift.describe.facets.base import (
    FacetBatch,
    FacetDefaults,
    FacetUnavailable,
    FieldSpec,
    Need,
    WordKind,
    field_of,
)
from picsift.describe.facets.tools import FacetTools
from picsift.describe.model import DescriptionBase, DetectedObject
from picsift.models.base import Keypoints, ObjectDetector

PERSON_LABELS = frozenset(
    {"person", "man", "woman", "boy", "girl", "child", "people", "human", "lady", "player"}
)
SEEN = 0.3  # keypoint confidence above which a body part counts as visible
# COCO keypoint order
NOSE, L_EYE, R_EYE = 0, 1, 2
L_SHOULDER, R_SHOULDER, L_HIP, R_HIP, L_KNEE, R_KNEE = 5, 6, 11, 12, 13, 14

Posture = Literal["standing", "sitting", "lying", "unknown"]
Box = tuple[float, float, float, float]


class Person(BaseModel):
    box: Box = Field(description="(x0, y0, x1, y1), normalised to 0..1.")
    pose: Posture
    facing_camera: bool | None = Field(description="None when the face cannot be judged.")


class PeopleFacet(BaseModel):
    count: int = Field(ge=0)
    people: list[Person] = Field(default_factory=list)


def _mid(kp: Keypoints, a: int, b: int) -> np.ndarray | None:
    seen = [kp.points[i] for i in (a, b) if kp.scores[i] >= SEEN]
    return np.mean(np.asarray(seen), axis=0) if seen else None


def posture(kp: Keypoints) -> Posture:
    """Lying: the torso is more horizontal than vertical. Sitting: the thighs are closer to
    horizontal than to the torso's length. Standing otherwise."""
    shoulders, hips = _mid(kp, L_SHOULDER, R_SHOULDER), _mid(kp, L_HIP, R_HIP)
    if shoulders is None or hips is None:
        return "unknown"
    dx, dy = hips - shoulders
    torso = float(np.hypot(dx, dy))
    if torso < 1e-6:
        return "unknown"
    if abs(dx) > abs(dy):
        return "lying"
    knees = _mid(kp, L_KNEE, R_KNEE)
    if knees is None:
        return "unknown"
    drop = float(knees[1] - hips[1])  # how far the knees are below the hips
    return "sitting" if drop < 0.5 * torso else "standing"


def facing(kp: Keypoints) -> bool | None:
    """Both eyes and the nose seen: facing the camera; none of them: facing away."""
    seen = [kp.scores[i] >= SEEN for i in (NOSE, L_EYE, R_EYE)]
    if all(seen):
        return True
    if not any(seen) and kp.scores[L_SHOULDER] >= SEEN and kp.scores[R_SHOULDER] >= SEEN:
        return False
    return None


def person_boxes(objects: Sequence[DetectedObject]) -> list[Box]:
    return [o.box for o in objects if o.label.lower() in PERSON_LABELS]


def people_facet(boxes: Sequence[Box], found: Sequence[Keypoints]) -> PeopleFacet:
    people = [
        Person(box=box, pose=posture(kp), facing_camera=facing(kp))
        for box, kp in zip(boxes, found, strict=True)
    ]
    return PeopleFacet(count=len(people), people=people)


def _boxes(batch: FacetBatch) -> list[list[Box]]:
    """The objects facet's person boxes when it ran (it found something in the batch), else
    the captioner's detector's."""
    stored = [list(field_of(d, "objects") or []) for d in batch.descriptions]
    if any(stored):
        return [person_boxes(s) for s in stored]
    captioner = batch.tools.models().captioner()
    if not (isinstance(captioner, ObjectDetector) and captioner.can_detect):
        raise FacetUnavailable(
            f"people need a person detector: captioner {captioner.model_id} cannot detect "
            "objects (Florence-2 can)"
        )
    found = captioner.detect_objects(list(batch.images))
    return [[d.box for d in detections if d.label.lower() in PERSON_LABELS] for detections in found]


@dataclass(frozen=True)
class PeopleFacetSpec(FacetDefaults):
    name: str = "people"
    needs: frozenset[Need] = frozenset({"image", "detector", "pose"})
    fields: dict[str, FieldSpec] = field(
        default_factory=lambda: {"people": (PeopleFacet | None, None)}
    )
    default: frozenset[Literal["index", "describe"]] = frozenset()
    word_kind: WordKind = "labels"

    def warm(self, tools: FacetTools) -> None:
        tools.models().pose()

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        boxes = _boxes(batch)
        found = batch.tools.models().pose().keypoints(list(batch.images), boxes)
        return [{"people": people_facet(b, k)} for b, k in zip(boxes, found, strict=True)]

    def words(self, description: DescriptionBase) -> list[str]:
        people: PeopleFacet | None = field_of(description, "people")
        if people is None:
            return []
        if not people.count:
            return ["nobody"]
        poses = Counter(p.pose for p in people.people if p.pose != "unknown")
        return ["people", "person", *poses]


FACET = PeopleFacetSpec()

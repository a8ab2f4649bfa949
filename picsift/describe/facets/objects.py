"""Objects facet: boxes from the captioner's detector (Florence-2's ``<OD>`` task).

The largest box also becomes the composition's subject when composition was computed, so
a description's "subject on the left" follows what was detected, not only saliency.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from picsift.describe.facets.base import (
    FacetBatch,
    FacetDefaults,
    FacetUnavailable,
    FieldSpec,
    Need,
    WordKind,
    field_of,
)
from picsift.describe.facets.composition import position_label
from picsift.describe.model import CompositionFacet, DescriptionBase, DetectedObject
from picsift.models.base import Detection, ObjectDetector


def objects_update(description: DescriptionBase, detections: Sequence[Detection]) -> dict[str, Any]:
    """The fields ``detections`` give ``description``: objects, counts, and the largest box
    as the composition's subject."""
    objects = [
        DetectedObject(label=d.label, box=d.box, position=position_label(d.box)) for d in detections
    ]
    update: dict[str, Any] = {
        "objects": objects,
        "object_counts": dict(Counter(o.label for o in objects).most_common()),
    }
    composition: CompositionFacet | None = field_of(description, "composition")
    if objects and composition is not None:
        largest = max(objects, key=lambda o: (o.box[2] - o.box[0]) * (o.box[3] - o.box[1]))
        update["composition"] = composition.model_copy(
            update={
                "subject_box": largest.box,
                "subject_position": largest.position,
                "subject_source": "objects",
            }
        )
    return update


def with_objects(description: DescriptionBase, detections: Sequence[Detection]) -> DescriptionBase:
    """``description`` plus its objects, counts, and the largest box as the subject."""
    return description.model_copy(update=objects_update(description, detections))


@dataclass(frozen=True)
class ObjectsFacet(FacetDefaults):
    name: str = "objects"
    needs: frozenset[Need] = frozenset({"image", "detector"})
    fields: dict[str, FieldSpec] = field(
        default_factory=lambda: {
            "objects": (list[DetectedObject], Field(default_factory=list)),
            "object_counts": (
                dict[str, int],
                Field(
                    default_factory=dict,
                    description="Label -> how many boxes, most frequent first.",
                ),
            ),
        }
    )
    default: frozenset[Literal["index", "describe"]] = frozenset()
    word_kind: WordKind = "labels"

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        captioner = batch.tools.models().captioner()
        if not (isinstance(captioner, ObjectDetector) and captioner.can_detect):
            raise FacetUnavailable(
                f"captioner {captioner.model_id} cannot detect objects (Florence-2 can)"
            )
        found = captioner.detect_objects(list(batch.images))
        return [objects_update(d, f) for d, f in zip(batch.descriptions, found, strict=True)]

    def words(self, description: DescriptionBase) -> list[str]:
        return list(field_of(description, "object_counts") or {})


FACET = ObjectsFacet()

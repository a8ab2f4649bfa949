"""Facets that need a model (tags from CLIP, objects from the detector), for a batch.

Both the indexer and on-demand describing use this one object, so an image indexed and the
same image uploaded to ``/describe`` get the same tags and objects. The tagger and its label
banks are built once per owner, on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from picsift.config import Settings
from picsift.describe.model import Description, Tag
from picsift.describe.objects import with_objects
from picsift.describe.tagging import Tagger
from picsift.describe.vocabularies import Vocabulary, find_vocabularies
from picsift.models.base import ObjectDetector
from picsift.models.provider import ModelSource
from picsift.models.zeroshot import LabelBanks
from picsift.resources import data_dir


def vocabulary_dirs(settings: Settings) -> list[Path]:
    """Shipped vocabularies, then the user's (which win by file name)."""
    return [data_dir() / "vocabularies", settings.home / "vocabularies"]


def with_tags(description: Description, tags: Sequence[Tag]) -> Description:
    return description.model_copy(
        update={"tags": [t.label for t in tags], "tag_scores": list(tags)}
    )


def _missing(description: Description, name: str, reason: str) -> Description:
    return description.model_copy(
        update={"facets_missing": description.facets_missing | {name: reason}}
    )


class ModelFacets:
    def __init__(
        self, models: ModelSource, settings: Settings, banks: LabelBanks | None = None
    ) -> None:
        self._models = models
        self._settings = settings
        self._banks = banks or LabelBanks(settings.home / "cache")
        self._vocabularies: list[Vocabulary] | None = None
        self._tagger: Tagger | None = None
        self._lock = threading.Lock()

    def vocabularies(self) -> list[Vocabulary]:
        """The active vocabularies, read once; a bad file raises naming the file and line."""
        with self._lock:
            if self._vocabularies is None:
                self._vocabularies = find_vocabularies(
                    vocabulary_dirs(self._settings), self._settings.tag_vocabularies
                )
            return self._vocabularies

    def check(self, names: Sequence[str]) -> None:
        """Fail before any work when a facet in ``names`` cannot be computed (no model loads)."""
        if "tags" in names:
            self.vocabularies()

    def warm(self, names: Sequence[str]) -> None:
        """Build what ``names`` need ahead of the first image (a server does this at start)."""
        if "tags" in names:
            self.tagger().warm()

    def tagger(self) -> Tagger:
        vocabularies = self.vocabularies()
        with self._lock:
            if self._tagger is None:
                self._tagger = Tagger(
                    self._models.embedder(), vocabularies, self._banks, self._settings.max_tags
                )
            return self._tagger

    def apply(
        self,
        descriptions: Sequence[Description],
        images: Sequence[Image.Image],
        names: Sequence[str],
        vectors: np.ndarray | None = None,
    ) -> list[Description]:
        """``descriptions`` with the model facets in ``names`` added; ``vectors`` are the
        images' CLIP embeddings when the caller has them already (the indexer does)."""
        out = list(descriptions)
        if not out:
            return out
        if "tags" in names:
            if vectors is None:
                vectors = self._models.embedder().embed_images(images)
            tags = self.tagger().tag_vectors(vectors)
            out = [with_tags(d, t) for d, t in zip(out, tags, strict=True)]
        if "objects" in names:
            captioner = self._models.captioner()
            if isinstance(captioner, ObjectDetector) and captioner.can_detect:
                found = captioner.detect_objects(images)
                out = [with_objects(d, f) for d, f in zip(out, found, strict=True)]
            else:
                reason = f"captioner {captioner.model_id} cannot detect objects (Florence-2 can)"
                out = [_missing(d, "objects", reason) for d in out]
        return out

"""The model work for a batch of decoded files, shared by the local and the Ray indexers.

One object owns it so that an image gets the same caption, vector, tags and objects whether
it was indexed on this machine or on a Ray worker; only where the batch runs differs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from picsift.config import Settings
from picsift.describe.facets import FACETS, Description
from picsift.describe.facets.runner import FacetRunner
from picsift.describe.facets.tools import FacetTools
from picsift.indexer.facets import FacetResult, index_facet_names
from picsift.indexer.pipeline import Loaded, facets_of
from picsift.indexer.timing import Stopwatch
from picsift.models.provider import ModelSource
from picsift.store import IMAGE_SPACE, Analysis


class Analyser:
    def __init__(self, models: ModelSource, settings: Settings) -> None:
        self._models = models
        self._settings = settings
        self.facets = FacetRunner(FacetTools(settings, models))

    def analyse(self, batch: Sequence[Loaded], clock: Stopwatch | None = None) -> list[Analysis]:
        """Embed, caption and add the model facets to decoded files (errors are not passed
        here: the caller has already recorded them). ``clock`` gets each step's seconds."""
        if not batch:
            return []
        clock = clock or Stopwatch()
        with clock.stage("load models"):  # the first batch only: then they are held
            embedder = self._models.embedder()
            captioner = self._models.captioner()
        images = [item.decoded.image for item in batch if item.decoded is not None]
        if len(images) != len(batch):
            raise ValueError("Analyser.analyse takes decoded files only")
        with clock.stage("embed"):
            vectors = embedder.embed_images(images)
        with clock.stage("caption"):
            captions = captioner.caption(images)
        with clock.stage("model facets"):
            facets = self._model_facets(batch, images, vectors)
        analyses = []
        for item, vector, caption, facet in zip(batch, vectors, captions, facets, strict=True):
            d = item.decoded
            assert d is not None and item.sha256 is not None
            analyses.append(
                Analysis(
                    path=item.file.path,
                    sha256=item.sha256,
                    size=item.file.size,
                    mtime_ns=item.file.mtime_ns,
                    width=d.width,
                    height=d.height,
                    format=d.format,
                    taken_at=d.taken_at,
                    caption=caption,
                    embedder=embedder.model_id,
                    captioner=captioner.model_id,
                    vectors={IMAGE_SPACE: (embedder.model_id, vector)},
                    facets=facet.json if facet else None,
                    maps=facet.maps if facet else None,
                    tags=facet.tags if facet else None,
                    ocr_text=facet.ocr_text if facet else None,
                    embedder_runtime=embedder.runtime,
                    captioner_runtime=captioner.runtime,
                    prompt=d.generation.prompt,
                    generator=d.generation.generator,
                    ai_generated=d.generation.ai_generated,
                    generation=d.generation.details(),
                )
            )
        return analyses

    def _model_facets(
        self, batch: Sequence[Loaded], images: list[Image.Image], vectors: np.ndarray
    ) -> list[FacetResult | None]:
        """The decoders' facets plus those that need the models (tags, objects)."""
        names = FACETS.batched(index_facet_names(self._settings))
        found = [facets_of(item) for item in batch]
        if not names:
            return found
        base = [f.description if f else Description() for f in found]
        return [FacetResult(d) for d in self.facets.batched(base, images, names, vectors)]

"""Run the chosen facets for one owner: beside decoding (image by image) and on a batch
after the models (with the CLIP vectors the caller already has).

A facet that needs only the image never sinks a description: its failure is recorded in
``facets_missing``. A facet that cannot run here says so (:class:`FacetUnavailable`) and is
recorded the same way. Any other failure of a model facet is the run's error, as a model
failure is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from picsift.describe.facets import FACETS
from picsift.describe.facets.base import MAPS, FacetBatch, FacetUnavailable
from picsift.describe.facets.registry import FacetRegistry
from picsift.describe.facets.tools import FacetTools
from picsift.describe.model import DescriptionBase

NOT_COMPUTED = "not computed"


class FacetRunner:
    def __init__(self, tools: FacetTools, registry: FacetRegistry = FACETS) -> None:
        self.tools = tools
        self.registry = registry

    def check(self, names: Sequence[str], extra: Sequence[str] = ()) -> None:
        """Refuse unknown names, and fail before any work when a chosen facet cannot be
        computed (a bad vocabulary); no model loads. ``extra``: other names the caller takes."""
        self.registry.check_names(names, extra)
        for name in names:
            if name in self.registry:
                self.registry[name].check(self.tools)

    def warm(self, names: Sequence[str]) -> None:
        """Build what ``names`` need ahead of the first image (a server does this at start)."""
        for name in names:
            if name in self.registry:
                self.registry[name].warm(self.tools)

    def per_image(
        self, image: Image.Image, names: Sequence[str], *, caption: str | None = None
    ) -> DescriptionBase:
        """The facets of ``names`` that run beside decoding, for one image. Image-only facets
        not asked for are marked "not computed", so a template can tell that from empty."""
        description = self.registry.description(caption=caption)
        chosen = self.registry.per_image(names)
        missing = {n: NOT_COMPUTED for n in self.registry.image_only() if n not in chosen}
        for name in chosen:
            facet = self.registry[name]
            batch = FacetBatch([description], [image], self.tools)
            try:
                (update,) = facet.compute(batch)
            except FacetUnavailable as exc:
                missing[name] = str(exc)
                continue
            except Exception as exc:
                if facet.needs != frozenset({"image"}):
                    raise
                missing[name] = f"{type(exc).__name__}: {exc}"  # one facet never sinks it
                continue
            description = _updated(description, update)
        return _with_missing(description, missing)

    def batched(
        self,
        descriptions: Sequence[DescriptionBase],
        images: Sequence[Image.Image],
        names: Sequence[str],
        vectors: np.ndarray | None = None,
    ) -> list[DescriptionBase]:
        """``descriptions`` with the facets of ``names`` that need the models added.
        ``images`` may be empty when none of them needs the image."""
        out = list(descriptions)
        if not out:
            return out
        for name in self.registry.batched(names):
            batch = FacetBatch(out, images, self.tools, vectors)
            try:
                updates: list[dict[str, Any]] = self.registry[name].compute(batch)
            except FacetUnavailable as exc:
                out = [_with_missing(d, {name: str(exc)}) for d in out]
                continue
            out = [_updated(d, u) for d, u in zip(out, updates, strict=True)]
        return out


def _updated(description: DescriptionBase, update: dict[str, Any]) -> DescriptionBase:
    """``description`` with a facet's fields, and its maps kept aside."""
    fields = dict(update)
    maps = fields.pop(MAPS, None)
    updated = description.model_copy(update=fields)
    return updated.with_maps(maps) if maps else updated


def _with_missing(description: DescriptionBase, missing: dict[str, str]) -> DescriptionBase:
    if not missing:
        return description
    return description.model_copy(update={"facets_missing": description.facets_missing | missing})

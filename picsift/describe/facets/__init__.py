"""The facets of a description, registered in the order they run.

Adding a facet (see ``docs/architecture.md``): a module here with a ``FACET`` that follows
:class:`~picsift.describe.facets.base.Facet`, one entry in the list below, and its lines in
the templates that should show it. Nothing else lists facet names: the indexer,
``picsift facets``, ``describe``, the API schema, the web page and the words channel all read
this registry.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from picsift.describe.facets import (
    colours,
    composition,
    depth,
    edges,
    objects,
    people,
    regions,
    tags,
    text,
)
from picsift.describe.facets.base import Facet, FacetBatch, FacetUnavailable
from picsift.describe.facets.registry import FacetRegistry, UnknownFacetError
from picsift.describe.model import DescriptionBase

# Composition before objects: the largest detected object becomes its subject; objects
# before depth, which places them in front or at the back, and before people, which reuses
# their person boxes.
FACETS = FacetRegistry(
    [
        colours.FACET,
        composition.FACET,
        text.FACET,
        tags.FACET,
        objects.FACET,
        depth.FACET,
        people.FACET,
        regions.FACET,
        edges.FACET,
    ]
)

# The typed description: the base fields plus every registered facet's fields.
Description = FACETS.description

__all__ = [
    "FACETS",
    "Description",
    "Facet",
    "FacetBatch",
    "FacetUnavailable",
    "UnknownFacetError",
    "compute_facets",
]


def compute_facets(
    image: Image.Image, names: Sequence[str] | None = None, *, caption: str | None = None
) -> DescriptionBase:
    """The model-free facets in ``names`` (default: every one that needs only the image) of
    one image, with no owner to share tools with (tests, benchmarks, one-off use)."""
    from picsift.describe.facets.runner import FacetRunner
    from picsift.describe.facets.tools import FacetTools

    chosen = FACETS.image_only() if names is None else list(names)
    described = FacetRunner(FacetTools()).per_image(image, chosen, caption=caption)
    unknown = {n: "unknown facet" for n in chosen if n not in FACETS}
    if not unknown:
        return described
    return described.model_copy(update={"facets_missing": described.facets_missing | unknown})

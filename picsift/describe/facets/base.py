"""The facet protocol: what one facet of a description is, whatever computes it.

A facet names what it needs (the decoded image, the OCR reader, the images' CLIP vectors, the
object detector), computes its fields of the description for a batch, and says which words
it adds to the ``words`` search channel. The indexer, ``picsift facets``, ``describe``, the
API and the templates all read facets through the registry
(:mod:`picsift.describe.facets.registry`), so adding one is a new module and one line there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
from PIL import Image

from picsift.describe.model import DescriptionBase
from picsift.errors import PicsiftError

if TYPE_CHECKING:
    from picsift.describe.facets.tools import FacetTools

# What a facet may need. Facets needing only "image" (and "ocr") run beside decoding, one
# image at a time; facets needing "clip" or "detector" run on a batch after the models.
# A facet that does not need "image" runs from stored data alone (tags from stored vectors).
Need = Literal["image", "ocr", "clip", "detector", "depth", "segmenter", "pose"]
PER_IMAGE_NEEDS: frozenset[Need] = frozenset({"image", "ocr"})
# The preset's models.
MODEL_NEEDS: frozenset[Need] = frozenset({"clip", "detector", "depth", "segmenter", "pose"})

# Where a facet's words go: short labels (colour names, framing, tags) or text read in the
# image (kept verbatim). Both are searched by the words channel.
WordKind = Literal["labels", "read"]

# A facet may also return small maps under this key of its update: {name: PNG bytes}. They
# are stored beside the description (not in its JSON) and shown as overlays.
MAPS = "_maps"

# A field of the description: (type, default or pydantic FieldInfo), as pydantic.create_model
# takes it.
FieldSpec = tuple[Any, Any]


class FacetUnavailable(PicsiftError):
    """This facet cannot be computed here (e.g. the captioner cannot detect objects); the
    description records it as missing with this reason, the others go on."""


@dataclass(frozen=True)
class FacetBatch:
    """One batch of images to describe. ``descriptions`` hold what earlier facets found
    (composition reads the objects); ``images`` is empty when no chosen facet needs the
    image; ``vectors`` are the images' CLIP embeddings when the caller has them."""

    descriptions: Sequence[DescriptionBase]
    images: Sequence[Image.Image]
    tools: FacetTools
    vectors: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.descriptions)


class Facet(Protocol):
    """One facet. ``fields`` are its fields in the typed description (the first is the one
    templates test: ``{% if name %}``); ``default`` says whether indexing and describing
    compute it when the settings do not name facets."""

    @property
    def name(self) -> str: ...

    @property
    def needs(self) -> frozenset[Need]: ...

    @property
    def fields(self) -> Mapping[str, FieldSpec]: ...

    @property
    def default(self) -> frozenset[Literal["index", "describe"]]: ...

    @property
    def word_kind(self) -> WordKind: ...

    def check(self, tools: FacetTools) -> None:
        """Fail before any work when this facet cannot be computed (a bad vocabulary)."""
        ...

    def warm(self, tools: FacetTools) -> None:
        """Build what the first batch would build (a server does this at start)."""
        ...

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        """This facet's fields for each image of ``batch``, in order."""
        ...

    def words(self, description: DescriptionBase) -> list[str]:
        """Searchable words from this facet's fields of ``description``."""
        ...


def no_words(description: DescriptionBase) -> list[str]:
    return []


class FacetDefaults:
    """What most facets do for ``check`` and ``warm``: nothing (a model loads on first use)."""

    def check(self, tools: FacetTools) -> None:
        return None

    def warm(self, tools: FacetTools) -> None:
        return None


@dataclass(frozen=True)
class ImageFacet(FacetDefaults):
    """A facet that is a pure function of the decoded image, with no model: most are."""

    name: str
    fields: Mapping[str, FieldSpec]
    of_image: Callable[[Image.Image], dict[str, Any]]
    to_words: Callable[[DescriptionBase], list[str]] = no_words
    default: frozenset[Literal["index", "describe"]] = frozenset({"index", "describe"})
    needs: frozenset[Need] = field(default=frozenset({"image"}))
    word_kind: WordKind = "labels"

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        return [self.of_image(image) for image in batch.images]

    def words(self, description: DescriptionBase) -> list[str]:
        return self.to_words(description)


def png(
    pixels: np.ndarray, palette: list[int] | None = None, transparent: int | None = None
) -> bytes:
    """An 8-bit map as PNG bytes: grey, or indexed colours with ``palette`` (flat RGB list),
    ``transparent`` the index drawn see-through."""
    import io

    image = Image.fromarray(np.asarray(pixels, dtype=np.uint8), mode="L")
    if palette is not None:
        image = image.convert("P")
        image.putpalette(palette)
    out = io.BytesIO()
    extra = {} if transparent is None else {"transparency": transparent}
    image.save(out, format="PNG", optimize=True, **extra)
    return out.getvalue()


def field_of(description: DescriptionBase, name: str) -> Any:
    """A facet's field of a composed description (None when that facet is not registered)."""
    return getattr(description, name, None)

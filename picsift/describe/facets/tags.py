"""Tags facet: zero-shot labels from the images' CLIP vectors and the tag vocabularies.

It needs no image, only vectors: the indexer passes the ones it just computed, and
``picsift facets --names tags`` reads the stored ones. The vocabularies are read and the
tagger (with its label banks) is built once per owner, on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from picsift.config import Settings
from picsift.describe.facets.base import FacetBatch, FieldSpec, Need, WordKind, field_of
from picsift.describe.facets.tools import FacetTools
from picsift.describe.model import DescriptionBase, Tag
from picsift.describe.tagging import Tagger
from picsift.describe.vocabularies import Vocabulary, find_vocabularies
from picsift.models.zeroshot import LabelBanks
from picsift.resources import data_dir


def vocabulary_dirs(settings: Settings) -> list[Path]:
    """Shipped vocabularies, then the user's (which win by file name)."""
    return [data_dir() / "vocabularies", settings.home / "vocabularies"]


def vocabularies(tools: FacetTools) -> list[Vocabulary]:
    """The active vocabularies, read once; a bad file raises naming the file and line."""
    s = tools.settings
    return tools.once(
        "tags.vocabularies", lambda: find_vocabularies(vocabulary_dirs(s), s.tag_vocabularies)
    )


def tagger(tools: FacetTools) -> Tagger:
    def build() -> Tagger:
        s = tools.settings
        banks = LabelBanks(s.home / "cache")
        return Tagger(tools.models().embedder(), vocabularies(tools), banks, s.max_tags)

    return tools.once("tags.tagger", build)


def with_tags(description: DescriptionBase, tags: Sequence[Tag]) -> DescriptionBase:
    return description.model_copy(
        update={"tags": [t.label for t in tags], "tag_scores": list(tags)}
    )


@dataclass(frozen=True)
class TagsFacet:
    name: str = "tags"
    needs: frozenset[Need] = frozenset({"clip"})
    fields: dict[str, FieldSpec] = field(
        default_factory=lambda: {
            "tags": (
                list[str],
                Field(
                    default_factory=list,
                    description="Zero-shot labels, best first (see tag_scores).",
                ),
            ),
            "tag_scores": (list[Tag], Field(default_factory=list)),
        }
    )
    default: frozenset[Literal["index", "describe"]] = frozenset({"index", "describe"})
    word_kind: WordKind = "labels"

    def check(self, tools: FacetTools) -> None:
        vocabularies(tools)

    def warm(self, tools: FacetTools) -> None:
        tagger(tools).warm()

    def compute(self, batch: FacetBatch) -> list[dict[str, Any]]:
        vectors = batch.vectors
        if vectors is None:
            vectors = batch.tools.models().embedder().embed_images(batch.images)
        found = tagger(batch.tools).tag_vectors(vectors)
        return [{"tags": [t.label for t in tags], "tag_scores": list(tags)} for tags in found]

    def words(self, description: DescriptionBase) -> list[str]:
        return list(field_of(description, "tags") or [])


FACET = TagsFacet()

"""The on-disk store: SQLite catalog (truth) plus derived FAISS indexes."""

from picsift.store.faiss.index_kinds import IndexOptions
from picsift.store.faiss.vectors import VectorIndex
from picsift.store.records import (
    CAPTION_SPACE,
    IMAGE_SPACE,
    PROMPT_SPACE,
    SPACES,
    USER_CAPTION_SPACE,
    Analysis,
    ImageRow,
)
from picsift.store.sqlite.catalog import Catalog
from picsift.store.store import Store

__all__ = [
    "CAPTION_SPACE",
    "IMAGE_SPACE",
    "PROMPT_SPACE",
    "SPACES",
    "USER_CAPTION_SPACE",
    "Analysis",
    "Catalog",
    "ImageRow",
    "IndexOptions",
    "Store",
    "VectorIndex",
]

"""The on-disk store: SQLite catalog (truth) plus derived FAISS indexes."""

from picsift.store.catalog import Analysis, Catalog, ImageRow
from picsift.store.index_kinds import IndexOptions
from picsift.store.store import CAPTION_SPACE, IMAGE_SPACE, SPACES, USER_CAPTION_SPACE, Store
from picsift.store.vectors import VectorIndex

__all__ = [
    "CAPTION_SPACE",
    "IMAGE_SPACE",
    "SPACES",
    "USER_CAPTION_SPACE",
    "Analysis",
    "Catalog",
    "ImageRow",
    "IndexOptions",
    "Store",
    "VectorIndex",
]

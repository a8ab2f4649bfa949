"""The on-disk store: SQLite catalog (truth) plus derived FAISS indexes."""

from picsift.store.catalog import Analysis, Catalog, ImageRow
from picsift.store.store import IMAGE_SPACE, Store
from picsift.store.vectors import VectorIndex

__all__ = ["IMAGE_SPACE", "Analysis", "Catalog", "ImageRow", "Store", "VectorIndex"]

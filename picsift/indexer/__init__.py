"""Incremental indexing of folders into the store."""

from picsift.indexer.service import Indexer, IndexReport

__all__ = ["IndexReport", "Indexer"]

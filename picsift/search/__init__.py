"""Search over the store: text and image queries against the embedding index."""

from picsift.search.service import Hit, SearchService

__all__ = ["Hit", "SearchService"]

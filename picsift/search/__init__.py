"""Hybrid search over the store: CLIP, caption meaning and caption words, fused."""

from picsift.search.query import Query, QueryError, parse_query
from picsift.search.service import Hit, SearchOptions, SearchPage, SearchService
from picsift.store.filters import Filters

__all__ = [
    "Filters",
    "Hit",
    "Query",
    "QueryError",
    "SearchOptions",
    "SearchPage",
    "SearchService",
    "parse_query",
]

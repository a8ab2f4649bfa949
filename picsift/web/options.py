"""The choices the Search and Describe forms offer: categories, formats, folders, templates,
facets. Read from the store and the describe registry; nothing here runs a model.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass

from picsift.api.state import AppState
from picsift.describe.facets import FACETS
from picsift.describe.service import CAPTION, describe_facet_names
from picsift.describe.templates import TemplateRenderer
from picsift.store.records import UNSORTED

MAX_FOLDERS = 30


@dataclass(frozen=True)
class SearchOptions:
    categories: list[tuple[int, str]]  # (id, "Parent / Child"), Unsorted last
    formats: list[str]
    folders: list[str]  # the most common folders, for the folder box's suggestions
    generators: list[tuple[str, int]]  # (name, images) of the generators named in the library


@dataclass(frozen=True)
class DescribeOptions:
    templates: list[str]
    facets: list[str]
    default_template: str
    default_facets: list[str]


class FileFacts:
    """Formats and common folders of the library, recomputed only when the catalog's
    generation changes (it moves with every indexed batch): reading every row costs about
    90 ms per 10,000 images, too much for each visit of the search page. One per app."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[int, list[str], list[str]] | None = None

    def get(self, state: AppState) -> tuple[list[str], list[str]]:
        generation = state.store.images.generation()
        with self._lock:
            if self._cached is None or self._cached[0] != generation:
                formats: Counter[str] = Counter()
                folders: Counter[str] = Counter()
                for row in state.store.images.analysed_rows():
                    if row.format:
                        formats[row.format.lower()] += 1
                    folders[os.path.dirname(row.path)] += 1
                common = sorted(f for f, _ in folders.most_common(MAX_FOLDERS))
                self._cached = (generation, sorted(formats), common)
            return self._cached[1], self._cached[2]


def search_options(state: AppState, facts: FileFacts) -> SearchOptions:
    items = state.library.categories()
    names = {c.id: c.name for c in items}
    labels = [
        (c.id, f"{names[c.parent_id]} / {c.name}" if c.parent_id in names else c.name)
        for c in items
    ]
    labels.sort(key=lambda item: item[1].casefold())
    if items:
        labels.append((UNSORTED, "Unsorted"))
    formats, folders = facts.get(state)
    return SearchOptions(labels, formats, folders, state.prompts.generators())


def describe_options(state: AppState) -> DescribeOptions:
    settings = state.settings
    templates = TemplateRenderer(settings.home / "templates").names()
    facets = [CAPTION, *FACETS]
    return DescribeOptions(
        templates, facets, settings.describe_template, describe_facet_names(settings)
    )

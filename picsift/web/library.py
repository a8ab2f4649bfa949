"""What the Library and Category pages show: categories, covers, a page of members, progress.

Each function is one blocking job over the store, run on the API's worker pool by the page
routes. They return plain dataclasses for the templates; nothing here renders HTML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from picsift.api.state import AppState
from picsift.api.watching import WatchStatus
from picsift.library.service import IndexProgress, UnknownCategoryError
from picsift.store.records import UNSORTED, Category
from picsift.web.templating import short_alt

COVERS = 4


@dataclass(frozen=True)
class Thumb:
    """One image in a grid: its id, alt text and, in Unsorted, where it would likely go."""

    id: int
    alt: str
    suggested: tuple[int, str] | None = None
    ai_made: bool = False  # a variant made by an edit: labelled on the grid


@dataclass(frozen=True)
class Tile:
    """One category as a card: name, keywords, size, cover mosaic and subcategories."""

    id: int
    name: str
    auto_name: str
    renamed: bool
    keywords: list[str]
    size: int
    covers: list[Thumb]
    children: list[Tile] = field(default_factory=list)


@dataclass(frozen=True)
class LibraryView:
    categories: list[Tile]
    unsorted: Tile
    progress: IndexProgress
    clustered_at: str | None
    watch: WatchStatus | None = None  # picsift serve --watch: the folders and the last run


@dataclass(frozen=True)
class CategoryView:
    category: Tile
    parent: Tile | None
    children: list[Tile]
    images: list[Thumb]
    total: int
    page: int
    pages: int
    per_page: int


def progress(state: AppState) -> IndexProgress:
    return state.library.progress()


def _alts(state: AppState, ids: list[int]) -> dict[int, str]:
    rows = state.store.images.rows(ids)
    return {i: short_alt(r.user_caption or r.caption) for i, r in rows.items()}


def _tile(c: Category, alts: dict[int, str], children: list[Tile] | None = None) -> Tile:
    covers = [Thumb(i, alts.get(i, "Photo")) for i in c.representatives[:COVERS]]
    return Tile(
        c.id,
        c.name,
        c.auto_name,
        c.user_name is not None,
        c.keywords,
        c.size,
        covers,
        children or [],
    )


def _unsorted_tile(state: AppState) -> Tile:
    covers = state.library.members(UNSORTED, 0, COVERS)
    alts = _alts(state, covers.ids)
    thumbs = [Thumb(i, alts.get(i, "Photo")) for i in covers.ids]
    return Tile(UNSORTED, "Unsorted", "Unsorted", False, [], covers.unsorted, thumbs)


def library(state: AppState) -> LibraryView:
    """The category tree, largest first; Unsorted apart."""
    tree = state.library.tree()
    shown = [c for node in tree.top for c in (node.category, *node.children)]
    alts = _alts(state, sorted({i for c in shown for i in c.representatives[:COVERS]}))
    top = [_tile(node.category, alts, [_tile(c, alts) for c in node.children]) for node in tree.top]
    return LibraryView(
        top, _unsorted_tile(state), progress(state), tree.clustered_at, state.watching.status()
    )


def category(state: AppState, category_id: int, page: int, per_page: int) -> CategoryView | None:
    """One page of a category's images (a parent shows its children's), or None if unknown."""
    try:
        members = state.library.members(category_id, (page - 1) * per_page, per_page)
    except UnknownCategoryError:
        return None
    if members.category is None:
        head = _unsorted_tile(state)
        parent = None
    else:
        head = _tile(members.category, {})
        parent = _tile(members.parent, {}) if members.parent is not None else None
    kids = members.children
    ids, total = members.ids, members.total
    alts = _alts(state, ids + [i for c in kids for i in c.representatives[:COVERS]])
    hints = members.suggestions
    names = {c.id: c.name for c in state.library.categories()}
    variants = state.store.edits.variant_ids()
    images = [
        Thumb(
            i,
            alts.get(i, "Photo"),
            (hints[i][0], names.get(hints[i][0], f"#{hints[i][0]}")) if i in hints else None,
            i in variants,
        )
        for i in ids
    ]
    pages = max(1, math.ceil(total / per_page))
    return CategoryView(
        head, parent, [_tile(c, alts) for c in kids], images, total, page, pages, per_page
    )

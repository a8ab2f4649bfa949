"""What the Library and Category pages show: categories, covers, a page of members, progress.

Each function is one blocking job over the store, run on the API's worker pool by the page
routes. They return plain dataclasses for the templates; nothing here renders HTML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from picsift.api.state import AppState
from picsift.store.categories import UNSORTED, Category, CategoryStore
from picsift.web.templating import short_alt

COVERS = 4


@dataclass(frozen=True)
class Thumb:
    """One image in a grid: its id, alt text and, in Unsorted, where it would likely go."""

    id: int
    alt: str
    suggested: tuple[int, str] | None = None


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
class Progress:
    """Status counts of the catalog: while ``pending`` is above zero an index is running (or
    was interrupted and will resume)."""

    ok: int
    pending: int
    error: int
    unassigned: int

    @property
    def total(self) -> int:
        return self.ok + self.pending + self.error

    @property
    def done_percent(self) -> int:
        return 100 if self.total == 0 else math.floor(100 * (self.ok + self.error) / self.total)


@dataclass(frozen=True)
class LibraryView:
    categories: list[Tile]
    unsorted: Tile
    progress: Progress
    clustered_at: str | None


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


def progress(state: AppState) -> Progress:
    counts = state.store.catalog.counts()
    unassigned = len(CategoryStore(state.store.catalog).unassigned())
    return Progress(counts["ok"], counts["pending"], counts["error"], unassigned)


def _alts(state: AppState, ids: list[int]) -> dict[int, str]:
    rows = state.store.catalog.rows(ids)
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


def _unsorted_tile(state: AppState, store: CategoryStore) -> Tile:
    ids, _ = store.member_ids(UNSORTED, 0, COVERS)
    alts = _alts(state, ids)
    covers = [Thumb(i, alts.get(i, "Photo")) for i in ids]
    return Tile(UNSORTED, "Unsorted", "Unsorted", False, [], store.unsorted_count(), covers)


def library(state: AppState) -> LibraryView:
    """Parents with their children, then categories without a parent; Unsorted apart."""
    store = CategoryStore(state.store.catalog)
    items = store.all()
    alts = _alts(state, sorted({i for c in items for i in c.representatives[:COVERS]}))
    children: dict[int, list[Tile]] = {}
    for c in items:
        if c.parent_id is not None and not c.is_parent:
            children.setdefault(c.parent_id, []).append(_tile(c, alts))
    parent_ids = {c.id for c in items if c.is_parent}
    top = [
        _tile(c, alts, children.get(c.id))
        for c in items
        if c.is_parent or c.parent_id not in parent_ids
    ]
    run = store.last_run()
    clustered_at = str(run["created_at"]) if run else None
    return LibraryView(top, _unsorted_tile(state, store), progress(state), clustered_at)


def category(state: AppState, category_id: int, page: int, per_page: int) -> CategoryView | None:
    """One page of a category's images (a parent shows its children's), or None if unknown."""
    store = CategoryStore(state.store.catalog)
    items = store.all()
    if category_id == UNSORTED:
        head = _unsorted_tile(state, store)
        parent = None
    else:
        found = next((c for c in items if c.id == category_id), None)
        if found is None:
            return None
        head = _tile(found, {})
        up = next((c for c in items if c.id == found.parent_id), None)
        parent = _tile(up, {}) if up is not None else None
    kids = [c for c in items if c.parent_id == category_id and category_id != UNSORTED]
    ids, total = store.member_ids(category_id, (page - 1) * per_page, per_page)
    alts = _alts(state, ids + [i for c in kids for i in c.representatives[:COVERS]])
    hints = store.suggestions(ids) if category_id == UNSORTED else {}
    names = {c.id: c.name for c in items}
    images = [
        Thumb(
            i,
            alts.get(i, "Photo"),
            (hints[i][0], names.get(hints[i][0], f"#{hints[i][0]}")) if i in hints else None,
        )
        for i in ids
    ]
    pages = max(1, math.ceil(total / per_page))
    return CategoryView(
        head, parent, [_tile(c, alts) for c in kids], images, total, page, pages, per_page
    )

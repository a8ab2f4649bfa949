"""The library's use cases in one place: the category tree, a category's members, an
image's categories, indexing progress, renames, and "index, then categorise".

The CLI, the API and the web pages call this service and only format what it returns, so
the tree is built once and a rule (what counts as a top-level category, how new images join
categories after indexing) holds for every way in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.indexer import Indexer, IndexReport
from picsift.indexer.outcomes import Progress
from picsift.models.provider import ModelSource
from picsift.store.ports import LibraryStore
from picsift.store.records import UNSORTED, Category


class UnknownCategoryError(PicsiftError):
    """No category has the id asked for (HTTP 404)."""

    def __init__(self, category_id: int) -> None:
        super().__init__(f"no category with id {category_id}")
        self.category_id = category_id


@dataclass(frozen=True)
class TreeNode:
    category: Category
    children: list[Category] = field(default_factory=list)


@dataclass(frozen=True)
class CategoryTree:
    """The top level, largest first: parents (with their children) and categories without a
    parent; Unsorted apart."""

    top: list[TreeNode]
    unsorted: int
    clustered_at: str | None


@dataclass(frozen=True)
class Members:
    """A page of one category's images (a parent lists its children's); ``category`` is None
    for Unsorted, whose images carry where each would most likely go (``suggestions``)."""

    category: Category | None
    parent: Category | None
    children: list[Category]
    ids: list[int]
    total: int
    unsorted: int
    suggestions: dict[int, tuple[int, float]]


@dataclass(frozen=True)
class IndexProgress:
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
class IndexOutcome:
    report: IndexReport
    categorised: int  # new images placed in categories (joined, or by a re-cluster)


class LibraryService:
    def __init__(self, store: LibraryStore) -> None:
        self._store = store
        self._categories = store.categories

    # -- reading ---------------------------------------------------------------------------
    def categories(self) -> list[Category]:
        return self._categories.all()

    def tree(self) -> CategoryTree:
        items = self._categories.all()
        children: dict[int, list[Category]] = {}
        for c in items:
            if c.parent_id is not None and not c.is_parent:
                children.setdefault(c.parent_id, []).append(c)
        parent_ids = {c.id for c in items if c.is_parent}
        top = [
            TreeNode(c, children.get(c.id, []))
            for c in items
            if c.is_parent or c.parent_id not in parent_ids
        ]
        run = self._categories.last_run()
        return CategoryTree(
            top,
            self._categories.unsorted_count(),
            str(run["created_at"]) if run else None,
        )

    def category(self, category_id: int) -> Category:
        found = self._categories.get(category_id)
        if found is None:
            raise UnknownCategoryError(category_id)
        return found

    def members(self, category_id: int, offset: int, limit: int) -> Members:
        """Raises UnknownCategoryError for an id that is neither a category nor Unsorted."""
        items = self._categories.all()
        unsorted = self._categories.unsorted_count()
        head: Category | None = None
        parent: Category | None = None
        children: list[Category] = []
        if category_id != UNSORTED:
            head = next((c for c in items if c.id == category_id), None)
            if head is None:
                raise UnknownCategoryError(category_id)
            parent = next((c for c in items if c.id == head.parent_id), None)
            children = [c for c in items if c.parent_id == category_id]
        ids, total = self._categories.member_ids(category_id, offset, limit)
        hints = self._categories.suggestions(ids) if category_id == UNSORTED else {}
        return Members(head, parent, children, ids, total, unsorted, hints)

    def image_categories(self, image_id: int) -> list[tuple[int, str]]:
        """The image's leaf categories and their parents, or Unsorted when clustered into none
        (empty before any clustering)."""
        items = {c.id: c for c in self._categories.all()}
        if not items:
            return []
        leaves = [
            cid for cid, members in self._categories.leaf_members().items() if image_id in members
        ]
        out: list[tuple[int, str]] = []
        for cid in leaves:
            leaf = items.get(cid)
            if leaf is None:
                continue
            parent = items.get(leaf.parent_id) if leaf.parent_id is not None else None
            if parent is not None and (parent.id, parent.name) not in out:
                out.append((parent.id, parent.name))
            out.append((leaf.id, leaf.name))
        return out or [(UNSORTED, "Unsorted")]

    def progress(self) -> IndexProgress:
        counts = self._store.images.counts()
        unassigned = len(self._categories.unassigned())
        return IndexProgress(counts["ok"], counts["pending"], counts["error"], unassigned)

    def projection(self) -> list[tuple[int, int | None, float, float]]:
        return self._categories.projection()

    # -- changing --------------------------------------------------------------------------
    def rename(self, category_id: int, name: str | None) -> Category:
        """Rename (empty or None restores the automatic name); UnknownCategoryError if none."""
        self.category(category_id)
        return self._categories.rename(category_id, name)

    def index(
        self,
        indexer: Indexer,
        models: ModelSource,
        settings: Settings,
        roots: Sequence[Path],
        progress: Progress | None = None,
        captions_file: Path | None = None,
        update_index: bool = True,
    ) -> IndexOutcome:
        """Index ``roots``, then place new images in the categories: re-cluster when
        ``auto_cluster`` is on, else let them join their nearest category."""
        report = indexer.run(
            roots, progress, captions_file=captions_file, update_index=update_index
        )
        with report.stages.stage("categories"):
            categorised = self.categorise_new(models, settings, report.indexed)
        return IndexOutcome(report, categorised)

    def categorise_new(self, models: ModelSource, settings: Settings, indexed: int) -> int:
        """After ``indexed`` new images: how many were placed in categories."""
        from picsift.cluster.service import MIN_IMAGES, CategoryService

        service = CategoryService(self._store, models, settings)
        enough = self._store.images.counts()["ok"] >= MIN_IMAGES
        if settings.auto_cluster and indexed and enough:
            return service.cluster(settings.cluster_space).images  # type: ignore[arg-type]
        return service.join_new()

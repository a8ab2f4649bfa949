"""``/categories``: the auto-named category tree, a category's images, renames; ``/map``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from picsift.api.deps import get_state, require_admin_key
from picsift.api.images import row_dict
from picsift.api.params import MAX_LIMIT
from picsift.api.schemas import errors
from picsift.api.state import AppState
from picsift.library.service import LibraryService
from picsift.store.records import UNSORTED, Category

router = APIRouter(tags=["categories"])
CategoryId = Annotated[int, Path(ge=0, le=2**63 - 1, description="Category id; 0 = Unsorted.")]


class RenameIn(BaseModel):
    name: str | None = Field(
        default=None,
        max_length=200,
        description="New name; null or empty restores the automatic one.",
    )


def _out(c: Category) -> dict[str, Any]:
    return asdict(c) | {
        "covers": [f"/images/{i}/thumbnail?size=256" for i in c.representatives[:4]]
    }


def _tree(library: LibraryService) -> dict[str, Any]:
    tree = library.tree()
    top = [
        _out(node.category) | {"children": [_out(c) for c in node.children]}
        if node.category.is_parent
        else _out(node.category)
        for node in tree.top
    ]
    return {
        "categories": top,
        "unsorted": {"id": UNSORTED, "name": "Unsorted", "size": tree.unsorted},
    }


@router.get("/categories", responses=errors(401, 503))
async def list_categories(state: AppState = Depends(get_state)) -> dict[str, Any]:
    """The category tree: parents with their children, names, keywords, confidence, sizes and
    cover thumbnails; Unsorted apart."""
    return await state.pool.run(_tree, state.library)


def _members(state: AppState, category_id: int, offset: int, limit: int) -> dict[str, Any]:
    page = state.library.members(category_id, offset, limit)
    head: dict[str, Any] = (
        _out(page.category)
        if page.category is not None
        else {"id": UNSORTED, "name": "Unsorted", "size": page.unsorted}
    )
    ids, total = page.ids, page.total
    rows = state.store.images.rows(ids)
    images = [row_dict(rows[i]) for i in ids if i in rows]
    for image in images:  # in Unsorted: where each one would most likely belong
        if image["id"] in page.suggestions:
            cid, similarity = page.suggestions[image["id"]]
            image["suggested_category"] = {"id": cid, "similarity": round(similarity, 4)}
    children = [_out(c) for c in page.children]
    return {
        "category": head,
        "children": children,
        "images": images,
        "total": total,
        "offset": offset,
        "limit": limit,
    }


@router.get("/categories/{category_id}", responses=errors(401, 404, 422, 503))
async def get_category(
    category_id: CategoryId,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    state: AppState = Depends(get_state),
) -> dict[str, Any]:
    """A category (or Unsorted, id 0) with a page of its images and its subcategories."""
    return await state.pool.run(_members, state, category_id, offset, limit)


def _rename(state: AppState, category_id: int, name: str | None) -> dict[str, Any]:
    return _out(state.library.rename(category_id, name))


@router.patch(
    "/categories/{category_id}",
    responses=errors(401, 403, 404, 422, 503),
    dependencies=[Depends(require_admin_key)],
)
async def rename_category(
    category_id: CategoryId, body: RenameIn, state: AppState = Depends(get_state)
) -> dict[str, Any]:
    """Rename a category; the name survives re-clustering while the category persists."""
    return await state.pool.run(_rename, state, category_id, body.name)


@router.get("/map", responses=errors(401, 503))
async def library_map(state: AppState = Depends(get_state)) -> dict[str, Any]:
    """Every categorised image placed in 2-D (computed at clustering time), for a map view."""
    points = await state.pool.run(state.library.projection)
    return {"points": [{"id": i, "category_id": c, "x": x, "y": y} for i, c, x, y in points]}

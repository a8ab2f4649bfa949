"""The HTML pages. Each handler fetches one view (a blocking job on the worker pool) and
renders one template; the pages' JavaScript then talks to the JSON API for the rest.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from picsift.api.deps import get_state
from picsift.api.state import AppState
from picsift.store.records import UNSORTED
from picsift.web import image_view, library, options
from picsift.web.auth import require_page_access

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 48

router = APIRouter(prefix="/ui", dependencies=[Depends(require_page_access)])


def templates_of(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.picsift_templates
    return templates


def render(
    request: Request, state: AppState, name: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page with what every page needs: active nav item, random-weights banner."""
    context.setdefault("nav", "")
    context["meaningless"] = state.models.preset.meaningless
    context["signed_in"] = bool(state.settings.api_key)
    return templates_of(request).TemplateResponse(
        request, name, context, status_code=status, headers={"Cache-Control": "no-store"}
    )


def not_found(request: Request, state: AppState, what: str) -> HTMLResponse:
    return render(request, state, "error.html", 404, title="Not found", message=what)


@router.get("", response_class=HTMLResponse, include_in_schema=False)
async def library_page(request: Request, state: AppState = Depends(get_state)) -> Response:
    view = await state.pool.run(library.library, state)
    return render(request, state, "library.html", nav="library", view=view)


@router.get("/status", include_in_schema=False)
async def status(state: AppState = Depends(get_state)) -> dict[str, Any]:
    """Status counts, polled by the Library page while an index runs."""
    progress = await state.pool.run(library.progress, state)
    watch = state.watching.status()
    return asdict(progress) | {
        "total": progress.total,
        "done_percent": progress.done_percent,
        "watch": None if watch is None else asdict(watch),
    }


@router.get("/categories/{category_id}", response_class=HTMLResponse, include_in_schema=False)
async def category_page(
    request: Request,
    category_id: Annotated[int, Path(ge=0, le=2**63 - 1)],
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = DEFAULT_PER_PAGE,
    state: AppState = Depends(get_state),
) -> Response:
    view = await state.pool.run(library.category, state, category_id, page, per)
    if view is None:
        return not_found(request, state, f"There is no category {category_id}.")
    nav = "library"
    methods = image_view.edit_methods(state)
    return render(
        request,
        state,
        "category.html",
        nav=nav,
        view=view,
        unsorted_id=UNSORTED,
        edit_methods=methods,
    )


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
async def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=2000)] = "",
    tag: Annotated[str, Query(max_length=500)] = "",
    state: AppState = Depends(get_state),
) -> Response:
    facts: options.FileFacts = request.app.state.picsift_file_facts
    choices = await state.pool.run(options.search_options, state, facts)
    return render(request, state, "search.html", nav="search", q=q, tag=tag, options=choices)


@router.get("/images/{image_id}", response_class=HTMLResponse, include_in_schema=False)
async def image_page(
    request: Request,
    image_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    state: AppState = Depends(get_state),
) -> Response:
    view = await state.pool.run(image_view.image, state, image_id)
    if view is None:
        return not_found(request, state, f"There is no image {image_id}.")
    return render(request, state, "image.html", view=view)


@router.get("/edits/{job_id}", response_class=HTMLResponse, include_in_schema=False)
async def edit_page(
    request: Request,
    job_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    state: AppState = Depends(get_state),
) -> Response:
    """An edit job: its progress, then each picture before and after (filled by edits.js)."""
    return render(request, state, "edits.html", job_id=job_id)


@router.get("/describe", response_class=HTMLResponse, include_in_schema=False)
async def describe_page(request: Request, state: AppState = Depends(get_state)) -> Response:
    choices = await state.pool.run(options.describe_options, state)
    return render(request, state, "describe.html", nav="describe", options=choices)


@router.get("/map", response_class=HTMLResponse, include_in_schema=False)
async def map_page(request: Request, state: AppState = Depends(get_state)) -> Response:
    return render(request, state, "map.html", nav="map")


home = APIRouter()


@home.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/ui", status_code=307)

"""``GET|POST /search`` (text, filters) and ``POST /search/image`` (by an uploaded example)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile

from picsift.api.deps import get_pool, get_search, get_settings
from picsift.api.params import MAX_LIMIT, SearchRequest, search_query, to_options
from picsift.api.schemas import SearchOut, errors
from picsift.api.searching import ApiSearch
from picsift.api.uploads import read_upload
from picsift.api.workers import WorkerPool
from picsift.config import Settings
from picsift.search.query import MAX_QUERY_CHARS
from picsift.search.service import MAX_DEPTH

router = APIRouter(tags=["search"])
_ERRORS = errors(401, 422, 503)


@router.get("/search", response_model=SearchOut, responses=_ERRORS)
async def search_get(
    request: SearchRequest = Depends(search_query),
    pool: WorkerPool = Depends(get_pool),
    search: ApiSearch = Depends(get_search),
) -> dict[str, Any]:
    """Find images by words or query arithmetic (``"2:dog" + #42 - "cat"``), with filters.
    Image paths inside the query are refused: upload an example to /search/image instead."""
    return await pool.run(search.text, request.q, to_options(request))


@router.post("/search", response_model=SearchOut, responses=_ERRORS)
async def search_post(
    request: SearchRequest,
    pool: WorkerPool = Depends(get_pool),
    search: ApiSearch = Depends(get_search),
) -> dict[str, Any]:
    """The same as GET /search, with the fields in a JSON body (long queries, filter lists)."""
    return await pool.run(search.text, request.q, to_options(request))


@router.post("/search/image", response_model=SearchOut, responses=errors(401, 413, 415, 422, 503))
async def search_image(
    file: UploadFile = File(..., description="The example image."),
    q: str | None = Form(None, max_length=MAX_QUERY_CHARS, description="Optional text too."),
    limit: int = Form(20, ge=1, le=MAX_LIMIT),
    offset: int = Form(0, ge=0, lt=MAX_DEPTH),
    settings: Settings = Depends(get_settings),
    pool: WorkerPool = Depends(get_pool),
    search: ApiSearch = Depends(get_search),
) -> dict[str, Any]:
    """Images like the uploaded one (optionally also matching ``q``); nothing is stored."""
    options = to_options(SearchRequest(q=q, limit=limit, offset=offset))
    data, name = await read_upload(file, settings.max_upload_bytes)
    return await pool.run(search.example, data, name, q, options)

"""``POST /describe``: caption an uploaded image; stored only when asked (``store=true``)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from picsift.api.deps import admin_key_if_storing, get_state
from picsift.api.errors import ApiError
from picsift.api.fetch import fetch_image
from picsift.api.images import row_dict
from picsift.api.schemas import DescriptionOut, StoredDescriptionOut, errors
from picsift.api.state import AppState
from picsift.api.uploads import read_upload

router = APIRouter(tags=["describe"])


@router.post(
    "/describe",
    response_model=DescriptionOut,
    responses={
        200: {"content": {"text/plain": {}}, "description": "The description (JSON or text)."},
        201: {"model": StoredDescriptionOut, "description": "Stored (store=true): new row."},
        **errors(400, 401, 403, 409, 413, 415, 422, 502, 503, 504),
    },
)
async def describe(
    file: UploadFile | None = File(None, description="The image (or give image_url)."),
    image_url: str | None = Query(
        None,
        max_length=2000,
        description="Fetch the image from this http(s) URL instead (off unless the server "
        "sets PICSIFT_FETCH_URLS; public addresses only unless allowed).",
    ),
    fmt: Literal["json", "text"] = Query("json", alias="format"),
    store: bool = Depends(admin_key_if_storing),
    template: str | None = Query(
        None,
        max_length=64,
        description="paragraph, alt, alt-ru, alt-de, tags, seo, markdown, json, or yours.",
    ),
    facets: str | None = Query(
        None, max_length=200, description="e.g. caption,colours,composition"
    ),
    state: AppState = Depends(get_state),
) -> Any:
    """Describe the image: the chosen facets rendered by the chosen template, plus the facets
    themselves, its size and format."""
    if (file is None) == (image_url is None):
        raise ApiError(422, "invalid_request", "send exactly one of: a file, or image_url")
    if file is not None:
        data, name = await read_upload(file, state.settings.max_upload_bytes)
    else:
        assert image_url is not None
        data, name = await run_in_threadpool(fetch_image, image_url, state.settings)
    meaningless = state.models.preset.meaningless
    if store:
        row = await state.pool.run(state.ingest.add, data, name)
        if fmt == "text":
            return PlainTextResponse(f"{row.caption}\n", status_code=201)
        body = {**row_dict(row), "captioner": row.captioner or "", "meaningless": meaningless}
        return JSONResponse(body, status_code=201, headers={"Location": f"/images/{row.id}"})
    chosen = [f.strip() for f in facets.split(",") if f.strip()] if facets else None
    described = await state.pool.run(state.describer.describe, data, name, chosen, template)
    if fmt == "text":
        return PlainTextResponse(f"{described.text}\n")
    body = described.to_dict()
    return {key: body[key] for key in DescriptionOut.model_fields}

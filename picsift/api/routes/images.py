"""``/images``: add an upload to the library; a catalog image's row, file, thumbnail, peers.

The id in the path is the only thing a request says about which file to read; the path
itself always comes from the catalog.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse, PlainTextResponse
from pydantic import AfterValidator

from picsift.api.deps import get_images, get_pool, get_search, get_state, require_admin_key
from picsift.api.errors import ApiError
from picsift.api.images import Images, row_dict
from picsift.api.params import MAX_LIMIT, SearchRequest, to_options
from picsift.api.schemas import ImageOut, SearchOut, errors
from picsift.api.searching import ApiSearch
from picsift.api.state import AppState
from picsift.api.thumbnails import SIZES
from picsift.api.uploads import read_upload
from picsift.api.workers import WorkerPool
from picsift.search.service import MAX_DEPTH

router = APIRouter(tags=["images"])

# SQLite integers are signed 64-bit: a larger id must be a 422, not an overflow deep inside.
ImageId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Catalog id.")]


def _thumbnail_size(size: int) -> int:
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(map(str, SIZES))}")
    return size


ThumbnailSize = Annotated[
    int,
    AfterValidator(_thumbnail_size),
    Query(description="Longest side in pixels.", json_schema_extra={"enum": list(SIZES)}),
]
# Thumbnails are named by content on disk but not in the URL, so they may change under one
# id: long-lived, yet private (never shared by proxies, as the API may need a key).
THUMBNAIL_CACHE = "private, max-age=31536000"


@router.post(
    "/images",
    status_code=201,
    response_model=ImageOut,
    responses=errors(401, 403, 409, 413, 415, 422),
    dependencies=[Depends(require_admin_key)],
)
async def add_image(
    response: Response,
    file: UploadFile = File(..., description="The image to add."),
    state: AppState = Depends(get_state),
) -> dict[str, Any]:
    """Save the upload under HOME/uploads/YYYY-MM-DD/ and index it; returns the new row."""
    data, name = await read_upload(file, state.settings.max_upload_bytes)
    row = await state.pool.run(state.ingest.add, data, name)
    response.headers["Location"] = f"/images/{row.id}"
    return row_dict(row)


@router.get("/images/{image_id}", response_model=ImageOut, responses=errors(401, 404, 422))
async def get_image(
    image_id: ImageId,
    pool: WorkerPool = Depends(get_pool),
    images: Images = Depends(get_images),
) -> dict[str, Any]:
    """The catalog row: path, captions, size, format, capture time, status."""
    return row_dict(await pool.run(images.row, image_id))


@router.get(
    "/images/{image_id}/similar", response_model=SearchOut, responses=errors(401, 404, 409, 422)
)
async def similar(
    image_id: ImageId,
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, lt=MAX_DEPTH),
    pool: WorkerPool = Depends(get_pool),
    search: ApiSearch = Depends(get_search),
) -> dict[str, Any]:
    """More like this image (the image itself is left out)."""
    options = to_options(SearchRequest(limit=limit, offset=offset))
    return await pool.run(search.similar, image_id, options)


@router.get(
    "/images/{image_id}/thumbnail",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}}}, **errors(401, 404, 409, 422)},
)
async def thumbnail(
    image_id: ImageId,
    size: ThumbnailSize = 256,
    pool: WorkerPool = Depends(get_pool),
    images: Images = Depends(get_images),
) -> FileResponse:
    """A JPEG at most ``size`` pixels on its longest side, made once and cached."""
    path = await pool.run(images.thumbnail, image_id, size)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": THUMBNAIL_CACHE})


MapName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="e.g. depth.")]


@router.get(
    "/images/{image_id}/maps/{name}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **errors(401, 404, 409, 422)},
)
async def facet_map(
    image_id: ImageId,
    name: MapName,
    pool: WorkerPool = Depends(get_pool),
    images: Images = Depends(get_images),
) -> Response:
    """A structure facet's small map (depth: 255 nearest; regions: indexed colours in the
    order of the regions facet's list; edges: 255 on an edge), as PNG."""
    data = await pool.run(images.facet_map, image_id, name)
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-cache"})


@router.get(
    "/images/{image_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {"image/*": {}}}, **errors(401, 404, 422)},
)
async def original(
    image_id: ImageId,
    pool: WorkerPool = Depends(get_pool),
    images: Images = Depends(get_images),
) -> FileResponse:
    """The original file, as indexed."""
    path, media_type = await pool.run(images.original, image_id)
    return FileResponse(
        path,
        media_type=media_type,
        filename=path.name,
        content_disposition_type="inline",
        # Served as what the catalog says it is, never sniffed into HTML, and sandboxed.
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


def _stored_description(state: AppState, image_id: int, template: str) -> dict[str, Any]:
    row = state.store.images.get(image_id)
    if row is None:
        raise ApiError(404, "not_found", f"no image with id {image_id}")
    if row.status != "ok":
        raise ApiError(409, "not_indexed", f"image {image_id} is not indexed ({row.status})")
    facets = state.store.images.facets_of(image_id)
    return state.describer.describe_indexed(row, facets, template).to_dict()


@router.get(
    "/images/{image_id}/description",
    responses={
        200: {
            "content": {"application/json": {}, "text/plain": {}},
            "description": "The description (JSON, or its text with format=text).",
        },
        **errors(401, 404, 409, 422, 503),
    },
)
async def stored_description(
    image_id: ImageId,
    template: str = Query("paragraph", max_length=64, description="Any template name."),
    fmt: Literal["json", "text"] = Query("json", alias="format"),
    state: AppState = Depends(get_state),
) -> Any:
    """An indexed image described from its stored caption and facets, through a template (no
    model runs)."""
    body = await state.pool.run(_stored_description, state, image_id, template)
    if fmt == "text":
        return PlainTextResponse(f"{body['text']}\n")
    return body

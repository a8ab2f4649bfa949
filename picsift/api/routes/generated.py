"""Generated pictures: what made one (``/images/{id}/generation``), the XMP picsift writes
for it (``/images/{id}/xmp``), and the pictures that agree least with their prompt
(``/prompts/mismatch``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from picsift.api.deps import get_pool, get_state
from picsift.api.params import MAX_LIMIT
from picsift.api.schemas import errors
from picsift.api.state import AppState
from picsift.api.workers import WorkerPool
from picsift.store.filters import MAX_FILTER_VALUES, Filters

router = APIRouter(tags=["generated"])
ImageId = Annotated[int, Path(ge=1, le=2**63 - 1, description="Catalog id.")]
XMP_TYPE = "application/rdf+xml"


@router.get("/images/{image_id}/generation", responses=errors(401, 404, 422))
async def generation(
    image_id: ImageId,
    state: AppState = Depends(get_state),
    pool: WorkerPool = Depends(get_pool),
) -> dict[str, Any]:
    """The prompt, negative prompt, generator, settings and AI flag the file's metadata
    names, and how well the picture agrees with the prompt (overall and per phrase)."""
    found = await pool.run(state.prompts.generated, image_id)
    return found.as_dict()


@router.get(
    "/images/{image_id}/xmp",
    response_class=Response,
    responses={200: {"content": {XMP_TYPE: {}}}, **errors(401, 404, 409, 422, 503)},
)
async def xmp(
    image_id: ImageId,
    state: AppState = Depends(get_state),
    pool: WorkerPool = Depends(get_pool),
) -> Response:
    """The XMP ``picsift export xmp`` writes for this picture: description, alt text,
    accessibility description, keywords and the picsift fields."""
    packet = await pool.run(state.exporter.packet, image_id)
    return Response(packet, media_type=XMP_TYPE)


@router.get("/prompts/mismatch", responses=errors(401, 422))
async def mismatch(
    limit: int = Query(20, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=1_000_000),
    generator: list[str] = Query([], max_length=MAX_FILTER_VALUES),
    folder: list[str] = Query([], max_length=MAX_FILTER_VALUES),
    state: AppState = Depends(get_state),
    pool: WorkerPool = Depends(get_pool),
) -> dict[str, Any]:
    """Generated pictures whose prompt they agree with least, worst first."""
    filters = Filters(folders=tuple(folder), generators=tuple(g for g in generator if g.strip()))
    page = await pool.run(state.prompts.mismatches, filters, limit, offset)
    return {
        "total": page.total,
        "offset": page.offset,
        "items": [g.as_dict() for g in page.items],
    }

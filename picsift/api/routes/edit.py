"""``/edit``: start an edit job, follow it, run an interrupted one again.

Edits run for seconds to minutes, so ``POST /edit`` only checks the request and queues it
(202 and the job's id); ``GET /edit/{job}`` gives its status, progress and variants.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from picsift.api.deps import get_pool, get_state, require_admin_key
from picsift.api.errors import ApiError
from picsift.api.schemas import errors
from picsift.api.state import AppState
from picsift.api.workers import WorkerPool
from picsift.edit.request import MAX_INSTRUCTION, EditOptions
from picsift.errors import EditBusyError
from picsift.store.records import EditJobRecord, VariantRecord

router = APIRouter(tags=["edit"])
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The job's id.")]


class EditBody(BaseModel):
    instruction: str = Field(
        max_length=4 * MAX_INSTRUCTION, description='What to change, e.g. "at night".'
    )
    image_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        default_factory=list, max_length=10_000, description="Pictures to edit (a series if many)."
    )
    category: int | None = Field(
        default=None, ge=0, le=2**63 - 1, description="Instead of ids: every member."
    )
    method: str | None = Field(default=None, max_length=64)
    keep: list[Annotated[str, Field(max_length=32)]] | None = Field(default=None, max_length=8)
    strength: float | None = Field(default=None, gt=0.0, le=1.0)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    candidates: int = Field(default=1, ge=1, le=64)
    force: bool = False


class JobOut(BaseModel):
    job: str
    status: str = Field(description="queued, running, done, failed or interrupted.")
    progress: float = Field(description="0..1")
    variant_ids: list[int]
    items: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per picture: the scores of each candidate, the "
        "variant kept or why none was, or the error.",
    )
    error: str | None = None
    request: dict[str, Any]
    url: str


class VariantOut(BaseModel):
    id: int = Field(description="The variant's catalog id.")
    original_id: int | None = Field(description="What it was made from (None: gone).")
    instruction: str
    method: str
    seed: int
    structure: float
    effect: float
    scores: dict[str, Any]
    settings: dict[str, Any]
    created: str
    ai_made: bool = Field(default=True, description="Always: its XMP says so too.")


class VariantsOut(BaseModel):
    variant_of: VariantOut | None = Field(description="Set when this image is a variant.")
    variants: list[VariantOut] = Field(description="Variants made from this image.")


def _variant(v: VariantRecord) -> dict[str, Any]:
    return {
        "id": v.image_id,
        "original_id": v.original_id,
        "instruction": v.instruction,
        "method": v.method,
        "seed": v.seed,
        "structure": v.structure,
        "effect": v.effect,
        "scores": v.scores,
        "settings": v.settings,
        "created": v.created,
    }


def _out(job: EditJobRecord) -> dict[str, Any]:
    share = 1.0 if job.status == "done" else (job.done / job.total if job.total else 0.0)
    items = job.result.get("items")
    return {
        "job": job.id,
        "status": job.status,
        "progress": round(share, 3),
        "variant_ids": list(job.variant_ids),
        "items": list(items) if isinstance(items, list) else [],
        "error": job.error,
        "request": job.request,
        "url": f"/edit/{job.id}",
    }


def _busy(exc: EditBusyError) -> ApiError:
    return ApiError(503, "edit_queue_full", str(exc), {"Retry-After": str(exc.retry_after)})


@router.post(
    "/edit",
    status_code=202,
    response_model=JobOut,
    responses=errors(401, 403, 422, 503),
    dependencies=[Depends(require_admin_key)],
)
async def start_edit(
    body: EditBody,
    state: AppState = Depends(get_state),
    pool: WorkerPool = Depends(get_pool),
) -> dict[str, Any]:
    """Check the edit and queue it; 503 with Retry-After when the edit queue is full."""
    options = EditOptions(
        method=body.method,
        keep=None if body.keep is None else tuple(body.keep),
        strength=body.strength,
        seed=body.seed,
        candidates=body.candidates,
        force=body.force,
    )
    try:
        job = await pool.run(
            state.editing.submit, body.image_ids, body.category, body.instruction, options
        )
    except EditBusyError as exc:
        raise _busy(exc) from None
    return _out(job)


@router.get("/edit/{job_id}", response_model=JobOut, responses=errors(401, 404))
async def edit_job(
    job_id: JobId, state: AppState = Depends(get_state), pool: WorkerPool = Depends(get_pool)
) -> dict[str, Any]:
    job = await pool.run(state.editing.jobs.get, job_id)
    if job is None:
        raise ApiError(404, "not_found", f"no edit job '{job_id}'")
    return _out(job)


@router.post(
    "/edit/{job_id}/retry",
    status_code=202,
    response_model=JobOut,
    responses=errors(401, 403, 404, 422, 503),
    dependencies=[Depends(require_admin_key)],
)
async def retry_edit(
    job_id: JobId, state: AppState = Depends(get_state), pool: WorkerPool = Depends(get_pool)
) -> dict[str, Any]:
    """Run an interrupted or failed job again, under its id."""
    if await pool.run(state.editing.jobs.get, job_id) is None:
        raise ApiError(404, "not_found", f"no edit job '{job_id}'")
    try:
        job = await pool.run(state.editing.jobs.retry, job_id)
    except EditBusyError as exc:
        raise _busy(exc) from None
    return _out(job)


@router.get("/images/{image_id}/variants", response_model=VariantsOut, responses=errors(401, 404))
async def variants(
    image_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    state: AppState = Depends(get_state),
    pool: WorkerPool = Depends(get_pool),
) -> dict[str, Any]:
    """The edit this image came from (if it is a variant) and the variants made from it."""
    await pool.run(state.images.row, image_id)  # 404 for an unknown id
    made_from, made = await pool.run(state.editing.links, image_id)
    return {
        "variant_of": None if made_from is None else _variant(made_from),
        "variants": [_variant(v) for v in made],
    }

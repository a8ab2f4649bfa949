"""``GET /health``: liveness plus what a monitor wants to see; needs no API key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from picsift.api.deps import get_state
from picsift.api.schemas import Health
from picsift.api.state import AppState

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
async def health(state: AppState = Depends(get_state)) -> dict[str, Any]:
    """Always answers while the process is up, even when the worker pool is full: the count
    is one indexed SQLite query, run on Starlette's thread pool rather than the bounded
    pool, so a monitor never sees a busy server as a dead one."""
    images = await run_in_threadpool(lambda: state.store.images.counts()["ok"])
    return {
        "status": "ok",
        "images": images,
        "preset": state.models.preset.name,
        "models_loaded": state.models.loaded,
    }

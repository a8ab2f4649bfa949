"""The JSON API's FastAPI application: wiring only (state, middleware, error handlers, routes).

``create_app`` does no I/O. The lifespan opens the store, builds the model provider and, by
default, loads every model before the first request is accepted: a missing model then stops
the server at start-up with picsift's one-sentence message, instead of failing the first
search minutes later.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from picsift.api.deps import API_KEY_HEADER, require_api_key
from picsift.api.errors import install_error_handlers
from picsift.api.middleware import FORM_OVERHEAD, BodySizeLimitMiddleware, CatchAllMiddleware
from picsift.api.routes import categories, describe, edit, generated, health, images, search
from picsift.api.state import AppState, open_state
from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.models.provider import ModelSource

log = logging.getLogger("picsift.api")


def _lifespan(
    settings: Settings, models: ModelSource | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            state: AppState = await run_in_threadpool(open_state, settings, models)
        except PicsiftError as exc:
            log.error("picsift API cannot start: %s", exc)
            raise
        try:
            if settings.preload_models:
                log.info("loading the models of preset '%s'", state.models.preset.name)
                try:
                    await state.pool.run(state.models.preload)
                    await state.pool.run(state.describer.warm)
                    await state.pool.run(state.search.warm)
                    state.pool.forget_times()  # loads and warm-ups are not a request's cost
                except PicsiftError as exc:  # e.g. ModelUnavailableError: its message says it all
                    log.error("picsift API cannot start: %s", exc)
                    raise
            await run_in_threadpool(state.editing.start)
            await run_in_threadpool(state.watching.start)
            app.state.picsift = state
            yield
        finally:
            app.state.picsift = None
            await run_in_threadpool(state.close)

    return lifespan


def build_api(settings: Settings, models: ModelSource | None = None) -> FastAPI:
    """The JSON API for the store at ``settings.home``; ``models`` replaces the preset's
    (tests). :func:`picsift.app.create_app` adds the web pages to it."""
    app = FastAPI(
        title="picsift",
        summary="Self-hosted image search: describe, search and browse your images.",
        version="0.1.0",
        lifespan=_lifespan(settings, models),
    )
    install_error_handlers(app)
    # Starlette wraps later middleware around earlier ones: CORS outermost (error responses
    # get its headers too), then the body cap, then the catch-all next to the routes.
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_upload_bytes + FORM_OVERHEAD)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=[API_KEY_HEADER, "Content-Type"],
        )
    app.include_router(health.router)
    protected = [Depends(require_api_key)]
    for module in (describe, search, images, generated, categories, edit):
        app.include_router(module.router, dependencies=protected)
    return app

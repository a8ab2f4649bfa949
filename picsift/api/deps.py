"""FastAPI dependencies: how a route reaches the shared state, and the API-key check.

Routes never touch ``app.state`` directly; they declare one of these, so a test can swap
any of them with ``app.dependency_overrides``.
"""

from __future__ import annotations

import hmac

from fastapi import Depends, Query, Request, Security
from fastapi.security import APIKeyHeader

from picsift.api.errors import ApiError
from picsift.api.images import Images
from picsift.api.searching import ApiSearch
from picsift.api.state import AppState
from picsift.api.workers import WorkerPool
from picsift.config import Settings

API_KEY_HEADER = "X-API-Key"
# auto_error=False: a missing key is reported by require_api_key in the API's error format.
_api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def get_state(request: Request) -> AppState:
    state: AppState | None = getattr(request.app.state, "picsift", None)
    if state is None:  # only outside the lifespan, e.g. a TestClient used without `with`
        raise ApiError(503, "starting", "the server is not ready yet")
    return state


def get_settings(state: AppState = Depends(get_state)) -> Settings:
    return state.settings


def get_pool(state: AppState = Depends(get_state)) -> WorkerPool:
    return state.pool


def get_search(state: AppState = Depends(get_state)) -> ApiSearch:
    return state.search


def get_images(state: AppState = Depends(get_state)) -> Images:
    return state.images


def _matches(key: str | None, expected: str | None) -> bool:
    return (
        bool(expected)
        and key is not None
        and hmac.compare_digest(key.encode(), str(expected).encode())
    )


def _unauthorized() -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        f"missing or wrong API key: send it in the {API_KEY_HEADER} header",
        {"WWW-Authenticate": API_KEY_HEADER},
    )


def require_api_key(
    key: str | None = Security(_api_key_header),
    settings: Settings = Depends(get_settings),
) -> None:
    """When an API key is configured, the request must carry it or the read-only key
    (constant-time compare)."""
    if not settings.api_key:
        return
    if not (_matches(key, settings.api_key) or _matches(key, settings.api_read_key)):
        raise _unauthorized()


def check_admin_key(key: str | None, settings: Settings) -> None:
    """Changes to the library (adding, storing, renaming) need the admin key: the read-only
    key gets 403, no or a wrong key 401."""
    if not settings.api_key or _matches(key, settings.api_key):
        return
    if _matches(key, settings.api_read_key):
        raise ApiError(
            403,
            "read_only_key",
            "this API key may search and read but not change the library; use the admin key",
        )
    raise _unauthorized()


def require_admin_key(
    key: str | None = Security(_api_key_header),
    settings: Settings = Depends(get_settings),
) -> None:
    check_admin_key(key, settings)


def admin_key_if_storing(
    store: bool = Query(False, description="Also add the image to the library."),
    key: str | None = Security(_api_key_header),
    settings: Settings = Depends(get_settings),
) -> bool:
    """``store=true`` changes the library, so it needs the admin key; returns ``store``."""
    if store:
        check_admin_key(key, settings)
    return store

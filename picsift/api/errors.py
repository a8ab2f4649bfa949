"""Every error leaves the API as ``{"error": {"code": ..., "message": ...}}`` with a fitting status.

Clients branch on ``code`` (stable, machine-readable) and show ``message`` (one sentence for a
person). picsift's own errors already carry such a sentence; this module only picks the
status. Anything unexpected becomes a 500 whose body says nothing about the internals (the
stack trace goes to the log), see :mod:`picsift.api.middleware`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from picsift.api.workers import PoolBusyError
from picsift.describe.templates import TemplateError
from picsift.errors import (
    EditError,
    ImageError,
    ModelMismatchError,
    ModelUnavailableError,
    PicsiftError,
    PresetError,
    StoreError,
    StoreLockedError,
    UnknownMethodError,
    UnsupportedImageError,
)
from picsift.library.service import UnknownCategoryError
from picsift.metadata.exiftool import MetadataError
from picsift.prompts.service import NotFoundError
from picsift.search.query import QueryError
from picsift.store.filters import FilterError

log = logging.getLogger("picsift.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the API raises on purpose, with its status, code and message."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def image_error_status(exc: ImageError) -> tuple[int, str]:
    """415 for a format not on the allow-list (refused before decoding), 422 for a broken,
    truncated, oversized or too costly image of an accepted format."""
    if isinstance(exc, UnsupportedImageError):
        return 415, "unsupported_image"
    return 422, "invalid_image"


def picsift_error_status(exc: PicsiftError) -> tuple[int, str]:
    """The status and code of one of picsift's own errors (most specific class first)."""
    if isinstance(exc, ImageError):
        return image_error_status(exc)
    table: list[tuple[type[PicsiftError], int, str]] = [
        (QueryError, 422, "invalid_query"),
        (UnknownMethodError, 422, "unknown_method"),
        (EditError, 422, "invalid_edit"),
        (UnknownCategoryError, 404, "not_found"),
        (NotFoundError, 404, "not_found"),
        (MetadataError, 503, "metadata_unavailable"),
        (FilterError, 422, "invalid_filter"),
        (TemplateError, 422, "invalid_template"),
        (StoreLockedError, 409, "store_busy"),
        (ModelMismatchError, 409, "model_mismatch"),
        (StoreError, 503, "store_unavailable"),
        (ModelUnavailableError, 503, "model_unavailable"),
        (PresetError, 400, "invalid_preset"),
    ]
    for cls, status, code in table:
        if isinstance(exc, cls):
            return status, code
    return 400, "bad_request"


def _validation_message(exc: RequestValidationError) -> str:
    """``where: what`` for the first few problems; inputs are not echoed (they may be huge)."""
    parts: list[str] = []
    for error in exc.errors()[:5]:
        if error.get("type") == "json_invalid":
            detail = error.get("ctx", {}).get("error", "")
            parts.append(f"body: not valid JSON ({detail})" if detail else "body: not valid JSON")
            continue
        where = ".".join(str(x) for x in error.get("loc", ()) if x != "body") or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _busy(_request: Request, exc: Exception) -> JSONResponse:
    retry = exc.retry_after if isinstance(exc, PoolBusyError) else 1
    return error_response(
        503,
        "busy",
        "the server is busy with other requests; retry in a moment",
        {"Retry-After": str(retry)},
    )


async def _picsift(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PicsiftError)
    status, code = picsift_error_status(exc)
    if status >= 500:
        log.warning("%s: %s", code, exc)
    return error_response(status, code, str(exc))


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid_request", _validation_message(exc))


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _HTTP_CODES.get(status, "http_error")
    message = str(exc.detail) if exc.detail else code.replace("_", " ")
    if status == 400:
        # Only the framework raises a bare 400: a body it cannot parse (bytes that are not
        # UTF-8 JSON, broken multipart). Like any other unusable request, that is a 422.
        status, code, message = 422, "invalid_request", f"request body: {message}"
    headers: dict[str, Any] | None = getattr(exc, "headers", None)
    return error_response(status, code, message, headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(PoolBusyError, _busy)
    app.add_exception_handler(PicsiftError, _picsift)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)

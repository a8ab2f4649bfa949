"""Two small ASGI middlewares: a request-body size cap and a last-resort 500 handler.

The body cap runs before any parsing, so an oversized upload is refused from its
Content-Length alone, and a body without one is cut off as soon as it passes the limit,
instead of being spooled to disk by the multipart parser first.

The 500 handler sits inside Starlette's own error middleware, so an unexpected exception is
logged once with its stack trace and the client gets the usual JSON error body without it.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from picsift.api.errors import error_response

log = logging.getLogger("picsift.api")

# Room for the multipart envelope and small form fields around an upload of the maximum size.
FORM_OVERHEAD = 64 * 1024


class BodyTooLargeError(StarletteHTTPException):
    """Raised from ``receive``; an HTTPException so FastAPI's body parsing passes it through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is over the limit of {limit:,} bytes")


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            response = error_response(
                413,
                "too_large",
                f"request body is {declared:,} bytes, over the limit of {self.max_bytes:,}",
            )
            await response(scope, receive, send)
            return
        total = 0

        async def limited_receive() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class CatchAllMiddleware:
    """Unexpected exceptions: log with the trace, answer a bare 500 JSON error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # the response is half sent; the server can only drop the connection
            response = error_response(
                500, "internal_error", "internal server error; the details are in the server log"
            )
            await response(scope, receive, send)

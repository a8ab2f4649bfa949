"""Who may see the pages, and how the pages reach the API, when an API key is configured.

The JSON API takes the key in the ``X-API-Key`` header. A browser cannot put a header on an
``<img src>`` or a link, so a person signs in once on ``/ui/login`` with the key and gets a
session cookie instead. The cookie holds an HMAC of the key, never the key itself, so
changing ``PICSIFT_API_KEY`` signs every browser out.

:class:`SessionKeyMiddleware` lets that session stand in for the header: the API's own guard
(``require_api_key``) stays the only check on API routes. The cookie is ``HttpOnly`` and
``SameSite=Strict`` (other sites' pages never send it). As a second line against cross-site
request forgery, the cookie alone only opens reads (GET/HEAD); a write also needs the header
``X-Picsift-Request``, which a cross-site form cannot set and a cross-origin script cannot
send without a CORS preflight (the API never allows that header cross-origin). The pages'
JavaScript always sends it.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from picsift.api.deps import API_KEY_HEADER, get_settings
from picsift.config import Settings

SESSION_COOKIE = "picsift_session"
REQUEST_HEADER = "X-Picsift-Request"
SESSION_DAYS = 30
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The same scheme as the API's; auto_error=False so a missing key is ours to answer.
_api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


class LoginRequiredError(Exception):
    """A page was asked for without the key; answered by a redirect to the login form."""

    def __init__(self, next_url: str) -> None:
        super().__init__("login required")
        self.next_url = next_url


def session_token(api_key: str) -> str:
    """The cookie value for ``api_key``: derived from it, useless for the header."""
    return hmac.new(api_key.encode(), b"picsift-web-session-v1", hashlib.sha256).hexdigest()


def key_matches(candidate: str | None, api_key: str) -> bool:
    return candidate is not None and hmac.compare_digest(candidate.encode(), api_key.encode())


def has_session(request: Request, api_key: str) -> bool:
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie is not None and hmac.compare_digest(
        cookie.encode(), session_token(api_key).encode()
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this server only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/ui"
    return target


def login_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/ui/login?next={quote(here, safe='')}"


def require_page_access(
    request: Request,
    key: str | None = Security(_api_key_header),
    settings: Settings = Depends(get_settings),
) -> None:
    """Pages: open without a configured key; else a key (admin or read-only) in the header
    or a session cookie made from one."""
    if not settings.api_key:
        return
    for expected in page_keys(settings):
        if key_matches(key, expected) or has_session(request, expected):
            return
    raise LoginRequiredError(login_url(request))


def page_keys(settings: Settings) -> list[str]:
    """The keys a person may sign in with: the admin key, then the read-only one."""
    return [k for k in (settings.api_key, settings.api_read_key) if k]


class SessionKeyMiddleware:
    """A request with a valid page session and no ``X-API-Key`` gets the key's header added
    in process (it never leaves the server), for reads, or for writes that carry
    ``X-Picsift-Request``. Anything else passes through untouched to the API's guard."""

    def __init__(self, app: ASGIApp, api_keys: list[str]) -> None:
        self.app = app
        # each session stands for the key it was made from: a read-only sign-in stays read-only
        self._keys = [(session_token(k).encode(), k.encode()) for k in api_keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers: list[tuple[bytes, bytes]] = list(scope["headers"])
            names = {name for name, _ in headers}
            safe = scope["method"] in _SAFE_METHODS or REQUEST_HEADER.lower().encode() in names
            if safe and API_KEY_HEADER.lower().encode() not in names:
                cookie = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
                for token, key in self._keys if cookie is not None else ():
                    if hmac.compare_digest(cookie.encode(), token):  # type: ignore[union-attr]
                        headers.append((API_KEY_HEADER.lower().encode(), key))
                        scope = {**scope, "headers": headers}
                        break
        await self.app(scope, receive, send)

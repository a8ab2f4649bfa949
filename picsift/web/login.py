"""Signing in to the pages with the API key (only when one is configured), and out again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from picsift.api.deps import get_settings
from picsift.config import Settings
from picsift.web.auth import (
    SESSION_COOKIE,
    SESSION_DAYS,
    LoginRequiredError,
    key_matches,
    page_keys,
    safe_next,
    session_token,
)

router = APIRouter(prefix="/ui")


def _form(request: Request, next_url: str, error: str | None, status: int = 200) -> HTMLResponse:
    response: HTMLResponse = request.app.state.picsift_templates.TemplateResponse(
        request,
        "login.html",
        {
            "next": next_url,
            "error": error,
            "days": SESSION_DAYS,
            "nav": "",
            "meaningless": False,
            "signed_in": False,
        },
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form(
    request: Request,
    next_url: Annotated[str, Query(alias="next", max_length=2000)] = "/ui",
    settings: Settings = Depends(get_settings),
) -> Response:
    if not settings.api_key:
        return RedirectResponse(safe_next(next_url), status_code=303)
    return _form(request, safe_next(next_url), None)


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    key: Annotated[str, Form(max_length=1000)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=2000)] = "/ui",
    settings: Settings = Depends(get_settings),
) -> Response:
    target = safe_next(next_url)
    if not settings.api_key:
        return RedirectResponse(target, status_code=303)
    matched = next((k for k in page_keys(settings) if key_matches(key, k)), None)
    if matched is None:
        return _form(request, target, "That is not the API key of this server.", 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_token(matched),
        max_age=SESSION_DAYS * 86_400,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout() -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def login_redirect(_request: Request, exc: Exception) -> Response:
    """Pages asked for without the key go to the login form, then back."""
    assert isinstance(exc, LoginRequiredError)
    return RedirectResponse(exc.next_url, status_code=303)

"""The web UI served by ``picsift serve``: server-rendered pages plus small JS modules that
call the JSON API. ``install(app)`` adds it to an API app; see README "Web UI".
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from picsift.config import Settings
from picsift.web import login, pages
from picsift.web.auth import LoginRequiredError, SessionKeyMiddleware, page_keys
from picsift.web.options import FileFacts
from picsift.web.templating import make_templates, package_dir

__all__ = ["install"]


def install(app: FastAPI, settings: Settings) -> None:
    """Add the pages, the login form and the static files (CSS, JS; public, no data), and,
    with an API key, let the pages' session cookie stand for it (see :mod:`.auth`)."""
    if settings.api_key:
        app.add_middleware(SessionKeyMiddleware, api_keys=page_keys(settings))
    app.state.picsift_templates = make_templates()
    app.state.picsift_file_facts = FileFacts()
    app.add_exception_handler(LoginRequiredError, login.login_redirect)
    app.include_router(login.router)
    app.include_router(pages.router)
    app.include_router(pages.home)
    app.mount("/ui/static", StaticFiles(directory=package_dir("static")), name="ui-static")

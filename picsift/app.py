"""The composition root: the JSON API and the web pages in one FastAPI app.

``picsift.web`` builds on ``picsift.api`` (its pages call the same services and share the
API's state), and the API knows nothing of the pages; this module is the one place that
mounts both, so neither package imports the other in a cycle.
"""

from __future__ import annotations

from fastapi import FastAPI

from picsift.api import build_api
from picsift.config import Settings
from picsift.models.provider import ModelSource
from picsift.web import install as install_web


def create_app(settings: Settings, models: ModelSource | None = None) -> FastAPI:
    """The app ``picsift serve`` runs: the API for ``settings.home`` plus the pages under
    ``/ui`` (README "Web UI"); ``models`` replaces the preset's (tests)."""
    app = build_api(settings, models)
    install_web(app, settings)
    return app

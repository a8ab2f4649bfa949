"""The REST API: ``build_api(settings)`` gives its FastAPI app; :mod:`picsift.app` adds the
web pages, and ``picsift serve`` runs the result."""

from picsift.api.app import build_api

__all__ = ["build_api"]

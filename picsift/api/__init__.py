"""The REST API: ``create_app(settings)`` gives a FastAPI app; ``picsift serve`` runs it."""

from picsift.api.app import create_app

__all__ = ["create_app"]

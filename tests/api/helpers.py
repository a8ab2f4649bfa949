"""Small helpers shared by the API tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

MakeClient = Callable[..., TestClient]


def photo(photos: Path, index: int = 0) -> Path:
    return sorted(photos.glob("*.jpg"))[index]


def upload(path: Path, name: str | None = None) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name or path.name, path.read_bytes(), "image/jpeg")}


def error_code(response: httpx.Response) -> str:
    """The error code, after checking the body has exactly the documented shape."""
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return str(body["error"]["code"])


def error_message(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"])

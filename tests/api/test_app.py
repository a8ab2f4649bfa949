"""Health, API key, CORS, OpenAPI, error format and start-up of the API."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from picsift.api.deps import get_search, require_api_key
from picsift.app import create_app
from picsift.config import Settings
from picsift.errors import ModelUnavailableError
from tests.api.helpers import MakeClient, error_code, photo, upload
from tests.fakes import FakeModels


def test_health_reports_images_preset_and_models(client: TestClient, indexed: Path) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "images": len(list(indexed.glob("*.jpg"))),
        "preset": "fake",
        "models_loaded": True,
    }


def test_api_key_guards_every_route_but_health(make_client: MakeClient, indexed: Path) -> None:
    client = make_client(api_key="s3cret")
    assert client.get("/health").status_code == 200
    requests = [
        ("GET", "/search?q=red", {}),
        ("POST", "/search", {"json": {"q": "red"}}),
        ("GET", "/images/1", {}),
        ("GET", "/images/1/thumbnail", {}),
        ("GET", "/images/1/maps/depth", {}),
        ("GET", "/images/1/file", {}),
        ("GET", "/images/1/similar", {}),
        ("POST", "/describe", {"files": upload(photo(indexed))}),
        ("POST", "/search/image", {"files": upload(photo(indexed))}),
        ("POST", "/images", {"files": upload(photo(indexed))}),
    ]
    for method, url, kwargs in requests:
        for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}):
            response = client.request(method, url, headers=headers, **kwargs)
            assert response.status_code == 401, (method, url, headers)
            assert error_code(response) == "unauthorized"
    ok = client.get("/search?q=red", headers={"X-API-Key": "s3cret"})
    assert ok.status_code == 200 and ok.json()["hits"]


def test_dependency_override_lifts_the_key_check(make_client: MakeClient) -> None:
    client = make_client(api_key="s3cret")
    assert client.get("/images/1").status_code == 401
    client.app.dependency_overrides[require_api_key] = lambda: None  # type: ignore[attr-defined]
    assert client.get("/images/1").status_code == 200


def test_cors_headers_only_for_configured_origins(make_client: MakeClient) -> None:
    origin = {"Origin": "http://photos.example:3000"}
    plain = make_client().get("/health", headers=origin)
    assert "access-control-allow-origin" not in plain.headers
    cors = make_client(cors_origins=["http://photos.example:3000"])
    allowed = cors.get("/health", headers=origin)
    assert allowed.headers["access-control-allow-origin"] == "http://photos.example:3000"
    other = cors.get("/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_openapi_lists_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        "/health": {"get"},
        "/describe": {"post"},
        "/search": {"get", "post"},
        "/search/image": {"post"},
        "/images": {"post"},
        "/images/{image_id}": {"get"},
        "/images/{image_id}/similar": {"get"},
        "/images/{image_id}/thumbnail": {"get"},
        "/images/{image_id}/maps/{name}": {"get"},
        "/images/{image_id}/file": {"get"},
        "/images/{image_id}/description": {"get"},
        "/categories": {"get"},
        "/categories/{category_id}": {"get", "patch"},
        "/map": {"get"},
        "/edit": {"post"},
        "/edit/{job_id}": {"get"},
        "/edit/{job_id}/retry": {"post"},
        "/images/{image_id}/variants": {"get"},
        "/images/{image_id}/generation": {"get"},
        "/images/{image_id}/xmp": {"get"},
        "/prompts/mismatch": {"get"},
    }
    assert {path: set(methods) for path, methods in paths.items()} == expected


def test_unknown_route_and_method_are_json_errors(client: TestClient) -> None:
    assert error_code(client.get("/nope")) == "not_found"
    assert client.delete("/images/1").status_code == 405
    assert error_code(client.delete("/images/1")) == "method_not_allowed"


def test_unexpected_error_is_a_bare_500_and_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def text(self, *args: object) -> dict[str, object]:
            raise RuntimeError("secret internal detail")

    client.app.dependency_overrides[get_search] = Broken  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="picsift.api"):
        response = client.get("/search?q=red")
    assert response.status_code == 500 and error_code(response) == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "secret internal detail" in caplog.text


def test_model_load_failure_stops_startup_with_its_message(settings: Settings) -> None:
    class Missing(FakeModels):
        def embedder(self):  # type: ignore[override]
            raise ModelUnavailableError("weights for model 'fake-embedder' were not found")

    app = create_app(settings, models=Missing())
    with (
        pytest.raises(ModelUnavailableError, match="fake-embedder' were not found"),
        TestClient(app),
    ):
        pass


def test_without_preload_models_load_on_first_use(make_client: MakeClient) -> None:
    client = make_client(preload_models=False)
    assert client.get("/health").json()["models_loaded"] is False
    assert client.get("/search?q=red").status_code == 200  # image and text models
    assert client.get("/health").json()["models_loaded"] is False  # captioner not yet
    photo_bytes = client.get("/images/1/file").content
    described = client.post("/describe", files={"file": ("a.jpg", photo_bytes, "image/jpeg")})
    assert described.status_code == 200
    assert client.get("/health").json()["models_loaded"] is True


def test_read_only_key_reads_but_cannot_change_the_library(
    make_client: MakeClient, photos: Path
) -> None:
    client = make_client(api_key="admin-secret", api_read_key="reader")
    read, admin = {"X-API-Key": "reader"}, {"X-API-Key": "admin-secret"}
    assert client.get("/search", params={"q": "red"}, headers=read).status_code == 200
    assert client.post("/search", json={"q": "red"}, headers=read).status_code == 200
    files = upload(photo(photos))
    assert client.post("/describe", files=files, headers=read).status_code == 200
    for method, url, kwargs in (
        ("POST", "/images", {"files": files}),
        ("POST", "/describe?store=true", {"files": files}),
        ("PATCH", "/categories/1", {"json": {"name": "x"}}),
    ):
        denied = client.request(method, url, headers=read, **kwargs)
        assert denied.status_code == 403, (url, denied.text)
        assert denied.json()["error"]["code"] == "read_only_key"
        assert client.request(method, url, **kwargs).status_code == 401
    assert client.post("/images", files=files, headers=admin).status_code == 201


def test_read_key_needs_an_admin_key() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="PICSIFT_API_KEY"):
        Settings(api_read_key="reader")

"""POST /describe: caption an upload; nothing stored unless asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from picsift.config import Settings
from picsift.store.faiss.index_files import read_stamp
from tests.api.helpers import MakeClient, error_code, error_message, photo, upload
from tests.fakes import FakeModels


def test_describe_returns_the_caption_and_facts_and_stores_nothing(
    client: TestClient, indexed: Path, settings: Settings
) -> None:
    before = client.get("/health").json()["images"]
    response = client.post("/describe", files=upload(photo(indexed)))
    assert response.status_code == 200
    body = response.json()
    assert body["caption"].startswith("a mostly") and body["format"] == "JPEG"
    assert body["width"] > 0 and body["height"] > 0
    assert body["captioner"] == "fake:captioner" and body["meaningless"] is True
    assert client.get("/health").json()["images"] == before
    assert not (settings.home / "uploads").exists()


def test_describe_as_text(client: TestClient, indexed: Path) -> None:
    response = client.post("/describe", params={"format": "text"}, files=upload(photo(indexed)))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/")
    assert response.text.startswith("A mostly") and response.text.endswith("\n")
    assert client.post("/describe?format=yaml", files=upload(photo(indexed))).status_code == 422


def test_describe_and_store(client: TestClient, indexed: Path) -> None:
    before = client.get("/health").json()["images"]
    response = client.post("/describe", params={"store": "true"}, files=upload(photo(indexed)))
    assert response.status_code == 201
    body = response.json()
    assert body["caption"].startswith("a mostly") and body["status"] == "ok"
    assert client.get(f"/images/{body['id']}").json()["path"] == body["path"]
    assert client.get("/health").json()["images"] == before + 1


def test_an_upload_leaves_the_vector_index_to_the_server(
    client: TestClient, indexed: Path, settings: Settings
) -> None:
    before = read_stamp(settings.home / "vectors", "image")
    assert before is not None
    response = client.post("/describe", params={"store": "true"}, files=upload(photo(indexed)))
    assert response.status_code == 201
    # not rewritten for one upload: at a million vectors that took 25 to 35 s per request
    assert read_stamp(settings.home / "vectors", "image") == before
    hits = client.get("/search", params={"q": "a photo", "limit": 50}).json()["hits"]
    assert response.json()["id"] in {hit["id"] for hit in hits}


def test_upload_over_the_limit_is_413(make_client: MakeClient, indexed: Path) -> None:
    data = photo(indexed).read_bytes()
    slightly = make_client(max_upload_bytes=len(data) - 1)  # caught while reading the part
    response = slightly.post("/describe", files=upload(photo(indexed)))
    assert response.status_code == 413 and error_code(response) == "too_large"
    assert photo(indexed).name in error_message(response)
    far = make_client(max_upload_bytes=100)  # refused from Content-Length, body unread
    response = far.post("/describe", files=upload(photo(indexed)))
    assert response.status_code == 413 and error_code(response) == "too_large"


@pytest.mark.parametrize(
    ("name", "data", "status", "reason"),
    [
        ("notes.jpg", b"shopping list: milk, eggs\n", 415, "plain text"),
        ("paper.png", b"%PDF-1.7 not really\n", 415, "PDF"),
        ("page.jpg", b"<html><body>hi</body></html>", 415, "HTML"),
        ("empty.jpg", b"", 422, "empty"),
    ],
)
def test_not_images_are_415_and_broken_ones_422(
    client: TestClient, name: str, data: bytes, status: int, reason: str
) -> None:
    response = client.post("/describe", files={"file": (name, data, "image/jpeg")})
    assert response.status_code == status, response.text
    assert name in error_message(response) and reason in error_message(response)


def test_truncated_jpeg_is_422(client: TestClient, indexed: Path) -> None:
    data = photo(indexed).read_bytes()
    files = {"file": ("cut.jpg", data[: len(data) // 2], "image/jpeg")}
    response = client.post("/describe", files=files)
    assert response.status_code == 422 and error_code(response) == "invalid_image"
    assert "cut.jpg" in error_message(response) and "truncated" in error_message(response)


def test_decompression_bomb_is_422(make_client: MakeClient, indexed: Path) -> None:
    client = make_client(max_image_pixels=10_000)
    files = {"file": ("big.png", _png(200, 200), "image/png")}
    response = client.post("/describe", files=files)
    assert response.status_code == 422 and "decompression-bomb" in error_message(response)


def test_upload_names_are_sanitised_in_messages(client: TestClient) -> None:
    files = {"file": ("../../<script>alert(1)</script>.jpg", b"text", "image/jpeg")}
    message = error_message(client.post("/describe", files=files))
    assert "<" not in message and ".." not in message and "/" not in message.split(":")[0]


def test_missing_file_field_is_422(client: TestClient) -> None:
    response = client.post("/describe", data={"x": "1"})
    assert response.status_code == 422 and error_code(response) == "invalid_request"


def _png(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_streamed_body_without_length_is_cut_at_the_limit(make_client: MakeClient) -> None:
    client = make_client(max_upload_bytes=1000)

    def chunks():  # no Content-Length: the server must count while it receives
        yield b"--b\r\nContent-Disposition: form-data; name=file; filename=a.jpg\r\n\r\n"
        for _ in range(200):
            yield b"x" * 1024

    response = client.post(
        "/describe", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 413 and error_code(response) == "too_large"


def test_describe_with_template_and_facets(client, photos) -> None:
    from tests.api.helpers import photo, upload

    files = upload(photo(photos))
    body = client.post(
        "/describe", files=files, params={"template": "tags", "facets": "colours,composition"}
    ).json()
    assert body["template"] == "tags" and body["caption"] is None and body["text"]
    assert body["facets"]["colours"]["palette"]
    text = client.post("/describe", files=files, params={"template": "alt", "format": "text"})
    assert text.status_code == 200 and len(text.text.strip()) <= 125
    bad = client.post("/describe", files=files, params={"template": "nope"})
    assert bad.status_code == 422 and "no such template" in bad.json()["error"]["message"]


def test_describe_tags_objects_and_unknown_facets(make_client: MakeClient, photos) -> None:
    client = make_client(models=FakeModels(detector=True))
    files = upload(photo(photos))
    body = client.post(
        "/describe", files=files, params={"template": "markdown", "facets": "tags,objects"}
    ).json()
    facets = body["facets"]
    assert isinstance(facets["tags"], list) and facets["object_counts"] == {"square": 1}
    assert "**Objects**: a square" in body["text"] and facets["colours"] is None
    bad = client.post("/describe", files=files, params={"facets": "tags,mood"})
    assert bad.status_code == 400 and "mood" in bad.json()["error"]["message"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"Tag", "DetectedObject"} <= set(schema)

"""GET /images/{id} (+ /file, /thumbnail) and POST /images."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from picsift.config import Settings
from picsift.store import Store
from tests.api.helpers import MakeClient, error_code, error_message, photo, upload

FIELDS = {
    "id",
    "path",
    "caption",
    "user_caption",
    "prompt",
    "generator",
    "ai_generated",
    "width",
    "height",
    "format",
    "taken_at",
    "status",
    "error",
    "sha256",
}


def test_image_row(client: TestClient, indexed: Path) -> None:
    row = client.get("/images/1").json()
    assert set(row) == FIELDS
    assert row["id"] == 1 and row["status"] == "ok" and Path(row["path"]).parent == indexed
    assert row["format"] == "JPEG" and row["caption"].startswith("a mostly")


@pytest.mark.parametrize(
    ("url", "status"),
    [("/images/9999", 404), ("/images/abc", 422), ("/images/0", 422), (f"/images/{2**63}", 422)],
)
def test_bad_or_unknown_ids(client: TestClient, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status and error_code(response)


def test_original_file_is_served_from_the_catalog_path(client: TestClient) -> None:
    row = client.get("/images/2").json()
    response = client.get("/images/2/file")
    assert response.status_code == 200
    assert response.content == Path(row["path"]).read_bytes()
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_vanished_file_is_404(client: TestClient) -> None:
    Path(client.get("/images/3").json()["path"]).unlink()
    for url in ("/images/3/file", "/images/3/thumbnail"):
        response = client.get(url)
        assert response.status_code == 404 and error_code(response) == "file_missing"


@pytest.mark.parametrize(
    "url",
    [
        "/images/..%2f..%2fetc%2fpasswd/file",
        "/images/..%2F..%2F..%2Fetc%2Fpasswd/file",
        "/images/%2fetc%2fpasswd/file",
        "/images/1/..%2f..%2f..%2fetc%2fpasswd",
        "/images/1/file/..%2f..%2fetc%2fpasswd",
        "/images/1%2f..%2f..%2fetc%2fpasswd/thumbnail",
    ],
)
def test_path_traversal_reads_nothing(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (404, 422)
    assert "root:" not in response.text and error_code(response)


def test_thumbnail_is_made_once_and_cached(client: TestClient, settings: Settings) -> None:
    default = Image.open(io.BytesIO(client.get("/images/4/thumbnail").content))
    assert max(default.size) == 256
    response = client.get("/images/4/thumbnail", params={"size": 128})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert "max-age=31536000" in response.headers["cache-control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "JPEG" and max(image.size) == 128
    cached = list((settings.home / "thumbnails" / "128").rglob("*.jpg"))
    assert len(cached) == 1 and cached[0].read_bytes() == response.content
    made = cached[0].stat()

    again = client.get("/images/4/thumbnail", params={"size": 128})
    assert again.status_code == 200 and again.content == response.content
    # served from the cache: a new one would have been written under a new inode
    assert (cached[0].stat().st_ino, cached[0].stat().st_mtime_ns) == (
        made.st_ino,
        made.st_mtime_ns,
    )


def test_thumbnail_size_must_be_offered(client: TestClient) -> None:
    response = client.get("/images/1/thumbnail", params={"size": 300})
    assert response.status_code == 422 and "128, 256, 512" in error_message(response)


def test_add_image_saves_a_sanitised_unique_name_and_indexes_it(
    client: TestClient, indexed: Path, settings: Settings
) -> None:
    source = photo(indexed, 5)
    first = client.post("/images", files=upload(source, "../../My Photo!.JPG"))
    assert first.status_code == 201, first.text
    row = first.json()
    folder = settings.home.resolve() / "uploads" / date.today().isoformat()
    assert set(row) == FIELDS and row["status"] == "ok" and row["caption"]
    assert Path(row["path"]) == folder / "My_Photo.jpg"
    assert Path(row["path"]).read_bytes() == source.read_bytes()
    assert first.headers["location"] == f"/images/{row['id']}"
    assert client.get(f"/images/{row['id']}").json() == row

    second = client.post("/images", files=upload(source, "My Photo!.JPG"))
    assert second.status_code == 201 and Path(second.json()["path"]).name == "My_Photo-1.jpg"
    hits = client.get("/search", params={"q": "My_Photo", "weights": "words:1"}).json()["hits"]
    assert {row["id"], second.json()["id"]} <= {h["id"] for h in hits}
    assert client.get("/health").json()["images"] == len(list(indexed.glob("*.jpg"))) + 2


def test_add_image_refuses_non_images_before_saving(client: TestClient, settings: Settings) -> None:
    files = {"file": ("notes.jpg", b"remember the milk\n", "image/jpeg")}
    response = client.post("/images", files=files)
    assert response.status_code == 415 and error_code(response) == "unsupported_image"
    assert not list((settings.home / "uploads").rglob("*.*"))


def test_add_image_while_another_writer_holds_the_store_is_409(
    client: TestClient, settings: Settings, indexed: Path
) -> None:
    with Store(settings.home) as other, other.writer_lock():
        response = client.post("/images", files=upload(photo(indexed)))
    assert response.status_code == 409 and error_code(response) == "store_busy"
    assert "writing to the store" in error_message(response)
    assert not list((settings.home / "uploads").rglob("*.jpg"))  # nothing left behind
    assert client.post("/images", files=upload(photo(indexed))).status_code == 201


def test_add_image_too_large_is_413(make_client: MakeClient, indexed: Path) -> None:
    client = make_client(max_upload_bytes=1000)
    response = client.post("/images", files=upload(photo(indexed)))
    assert response.status_code == 413 and error_code(response) == "too_large"


def test_stored_description_renders_without_models(client: TestClient) -> None:
    body = client.get("/images/1/description", params={"template": "tags"}).json()
    assert body["template"] == "tags" and body["text"] and body["facets"]["colours"]["palette"]
    text = client.get("/images/1/description", params={"template": "alt", "format": "text"})
    assert text.status_code == 200 and 0 < len(text.text.strip()) <= 125
    assert client.get("/images/999/description").status_code == 404
    assert client.get("/images/1/description", params={"template": "nope"}).status_code == 422

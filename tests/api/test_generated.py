"""Generated pictures over HTTP: what made one, its XMP, the worst-first list, the search
filters, and the image page's "Made with AI" section (fake models: exact mechanics)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from picsift.app import create_app
from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.store import Store
from tests.fakes import FakeModels
from tests.generated_files import A1111_PROMPT, write_all

pytestmark = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="the XMP fixtures need exiftool (.ci/run)"
)


@pytest.fixture
def client(settings: Settings, photos: Path) -> Iterator[tuple[TestClient, dict[str, int]]]:
    files = write_all(Image.open(sorted(photos.glob("*.jpg"))[0]), photos / "generated")
    with Store(settings.home) as store:
        assert Indexer(store, FakeModels(), settings).run([photos]).complete
        rows = store.images.rows_under("/")
        ids = {name: rows[str(path)].id for name, path in files.items()}
    with TestClient(create_app(settings, models=FakeModels())) as test_client:
        yield test_client, ids


def test_generation_of_one_picture(client: tuple[TestClient, dict[str, int]]) -> None:
    http, ids = client
    found = http.get(f"/images/{ids['a1111']}/generation").json()
    assert found["prompt"] == A1111_PROMPT and found["generator"] == "Automatic1111"
    assert found["negative"] == "blurry, lowres" and found["parameters"]["Seed"] == "1234"
    phrases = [p["phrase"] for p in found["agreement"]["phrases"]]
    assert phrases == ["red dress", "mannequin", "golden retriever"]
    assert len(found["agreement"]["notes"]) == sum(
        not p["supported"] for p in found["agreement"]["phrases"]
    )
    row = http.get(f"/images/{ids['a1111']}").json()
    assert row["ai_generated"] and row["prompt"] == A1111_PROMPT
    assert http.get("/images/99999/generation").status_code == 404


def test_xmp_is_served_and_errors_are_clear(client: tuple[TestClient, dict[str, int]]) -> None:
    http, ids = client
    answer = http.get(f"/images/{ids['comfy']}/xmp")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/rdf+xml"
    assert b"AltTextAccessibility" in answer.content and b"picsift:Prompt" in answer.content
    missing = http.get("/images/99999/xmp")
    assert missing.status_code == 404 and "no indexed image" in missing.json()["error"]["message"]


def test_mismatch_list_and_search_filters(client: tuple[TestClient, dict[str, int]]) -> None:
    http, ids = client
    page = http.get("/prompts/mismatch", params={"limit": 2}).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    only = http.get("/prompts/mismatch", params={"generator": "comfy"}).json()
    assert [i["id"] for i in only["items"]] == [ids["comfy"]]
    hits = http.get("/search", params={"q": "red", "generated": "false", "limit": 50}).json()
    assert not {h["id"] for h in hits["hits"]} & set(ids.values())
    hits = http.get("/search", params={"q": "red", "generator": "firefly", "limit": 50}).json()
    assert {h["id"] for h in hits["hits"]} <= {ids["jpeg"], ids["webp"]}
    assert http.get("/search", params={"q": "x", "generated": "maybe"}).status_code == 422


def test_image_page_shows_how_it_was_made(client: tuple[TestClient, dict[str, int]]) -> None:
    http, ids = client
    page = http.get(f"/ui/images/{ids['a1111']}").text
    assert "Made with AI" in page and "golden retriever" in page and "Automatic1111" in page
    plain = next(i for i in range(1, 50) if i not in ids.values())
    assert 'id="generation"' not in http.get(f"/ui/images/{plain}").text
    search = http.get("/ui/search").text
    assert 'name="generated"' in search and "ComfyUI (1)" in search

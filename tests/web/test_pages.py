"""Every page rendered in process (fake models): content, alt text, escaping, errors."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from picsift.config import Settings
from picsift.store import Store
from tests.api.helpers import MakeClient


def _first_category(client: TestClient) -> dict:
    return client.get("/categories").json()["categories"][0]


def _alts(html: str) -> list[str]:
    return re.findall(r'<img [^>]*alt="([^"]*)"', html)


def test_root_redirects_to_the_library(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/ui"


def test_library_lists_categories_unsorted_and_counts(clustered: Path, make_client: MakeClient):
    client = make_client()
    html = client.get("/ui").text
    tree = client.get("/categories").json()
    assert 'class="skip" href="#main"' in html and '<main id="main"' in html
    assert "20 photos indexed" in html
    for category in tree["categories"]:
        assert f'href="/ui/categories/{category["id"]}"' in html
    if tree["unsorted"]["size"]:
        assert "Unsorted" in html
    assert '<a href="/ui" aria-current="page">Library</a>' in html


def test_empty_library_says_what_to_do(client: TestClient) -> None:
    html = client.get("/ui").text
    assert "No categories yet" in html and "picsift cluster" in html


def test_category_page_paginates_with_alt_text(clustered: Path, make_client: MakeClient):
    client = make_client()
    first = _first_category(client)
    page1 = client.get(f"/ui/categories/{first['id']}", params={"per": 1})
    assert page1.status_code == 200
    assert f"Page 1 of {first['size']}" in page1.text
    assert f'href="/ui/categories/{first["id"]}?page=2&amp;per=1"' in page1.text
    last = client.get(f"/ui/categories/{first['id']}", params={"per": 1, "page": first["size"]})
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text
    assert all(alt for alt in _alts(page1.text) if "thumbnail?size=256" in page1.text)
    grid = page1.text.split('id="grid"')[1]
    assert _alts(grid) and all(_alts(grid))  # grid images are named by their captions


def test_unsorted_page_has_no_rename(clustered: Path, make_client: MakeClient) -> None:
    html = make_client().get("/ui/categories/0").text
    assert "<h1" in html and "Unsorted" in html and 'id="rename"' not in html


def test_names_are_escaped(clustered: Path, make_client: MakeClient) -> None:
    client = make_client()
    first = _first_category(client)
    client.patch(f"/categories/{first['id']}", json={"name": "<script>alert(1)</script>"})
    for path in ("/ui", f"/ui/categories/{first['id']}"):
        html = client.get(path).text
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html


def test_image_page_shows_description_facets_and_categories(
    clustered: Path, make_client: MakeClient
) -> None:
    client = make_client()
    row = client.get("/images/1").json()
    html = client.get("/ui/images/1").text
    assert Path(row["path"]).name in html
    assert 'id="description"' in html and 'class="swatch"' in html
    assert f"{row['width']} \u00d7 {row['height']} px" in html
    assert 'href="/ui/categories/' in html  # its category (or Unsorted)
    (photo_alt,) = re.findall(r'<img [^>]*alt="([^"]*)"[^>]*id="photo"', html)
    assert photo_alt and len(photo_alt) <= 125
    assert 'id="similar" data-id="1"' in html


def test_unknown_things_are_html_404s(client: TestClient) -> None:
    for path in ("/ui/images/999", "/ui/categories/999"):
        response = client.get(path)
        assert response.status_code == 404 and "text/html" in response.headers["content-type"]
        assert "Not found" in response.text


def test_search_page_offers_the_filters_the_api_has(clustered: Path, make_client: MakeClient):
    client = make_client()
    html = client.get("/ui/search", params={"q": "red <b>"}).text
    assert 'role="search"' in html and 'value="red &lt;b&gt;"' in html
    assert 'name="category" value="0"' in html  # Unsorted as a chip
    assert 'id="after"' in html and 'id="before"' in html and 'id="folder"' in html
    assert str(clustered) in html  # the photos' folder is suggested
    tagged = client.get("/ui/search", params={"q": "bed", "tag": "bed, <i>"}).text
    assert 'id="tag" name="tag" value="bed, &lt;i&gt;"' in tagged  # from an image's tag chip


def test_describe_page_lists_templates_and_facets(client: TestClient) -> None:
    html = client.get("/ui/describe").text
    for name in ("paragraph", "alt", "json"):
        assert f'<option value="{name}"' in html
    assert '<option value="paragraph" selected>' in html
    assert 'name="facets" value="caption" checked' in html


def test_map_page_and_status(client: TestClient) -> None:
    assert 'id="map"' in client.get("/ui/map").text
    status = client.get("/ui/status").json()
    assert status["ok"] == 20 and status["pending"] == 0 and status["done_percent"] == 100


def test_static_files_are_served_from_the_package(client: TestClient) -> None:
    css = client.get("/ui/static/picsift.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    for name in ("api", "drop", "library", "category", "search", "image", "describe", "map"):
        js = client.get(f"/ui/static/js/{name}.js")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"], name


def test_pages_reference_only_local_assets(clustered: Path, make_client: MakeClient) -> None:
    client = make_client()
    for path in ("/ui", "/ui/search", "/ui/images/1", "/ui/describe", "/ui/map"):
        html = client.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_library_shows_progress_while_files_wait(
    settings: Settings, clustered: Path, make_client: MakeClient
) -> None:
    with Store(settings.home) as store:  # what an index run does first: rows wait as pending
        store.catalog.add_pending([(str(clustered / "new.jpg"), 10, 1)])
    client = make_client()
    html = client.get("/ui").text
    assert "1 waiting" in html and "<progress" in html and 'data-pending="1"' in html
    assert client.get("/ui/status").json()["pending"] == 1


def test_a_variant_is_labelled_made_with_ai_on_its_page_its_originals_and_its_category(
    clustered: Path, make_client: MakeClient, settings: Settings
) -> None:
    from picsift.edit.request import EditOptions
    from picsift.edit.service import EditService
    from picsift.imaging.sandbox import DecodeSandbox
    from picsift.store.records import Membership
    from tests.edit.conftest import FakeExifTool
    from tests.fakes import FakeModels

    with Store(settings.home) as store, DecodeSandbox(settings) as decoder:
        service = EditService(store, FakeModels(), settings, decoder, FakeExifTool())  # type: ignore[arg-type]
        variant = service.edit(1, "at night", EditOptions()).variant_id
        category = store.categories.all()[0]
        store.categories.add_members([Membership(variant, category.id, 0.99)])  # type: ignore[arg-type]
    client = make_client()
    page = client.get(f"/ui/images/{variant}").text
    assert page.count("Made with AI") >= 2 and "“at night”" in page
    assert 'href="/ui/images/1"' in page and 'class="compare-after"' in page
    original = client.get("/ui/images/1").text
    assert f'href="/ui/images/{variant}"' in original and "Edit with AI…" in original
    grid = client.get(f"/ui/categories/{category.id}?per=200").text
    assert 'alt="Made with AI: ' in grid and "Edit every photo with AI…" in grid

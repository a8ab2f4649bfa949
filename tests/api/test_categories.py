"""/categories, /categories/{id} (members, Unsorted), PATCH rename, /map."""

from __future__ import annotations

from fastapi.testclient import TestClient

from picsift.cluster.service import CategoryService
from picsift.config import Settings
from picsift.store import Store
from tests.fakes import FakeModels


def _cluster(settings: Settings) -> None:
    with Store(settings.home) as store:
        CategoryService(store, FakeModels(), settings).cluster(
            "images", min_cluster_size=2, min_samples=1
        )


def test_empty_library_has_no_categories(client: TestClient) -> None:
    body = client.get("/categories").json()
    assert body["categories"] == [] and body["unsorted"]["size"] == 0


def test_tree_members_rename_and_map(settings: Settings, make_client) -> None:
    _cluster(settings)
    client = make_client()
    tree = client.get("/categories").json()
    assert tree["categories"], tree
    first = tree["categories"][0]
    assert {"id", "name", "keywords", "confidence", "size", "covers"} <= set(first)
    page = client.get(f"/categories/{first['id']}", params={"limit": 2}).json()
    assert page["total"] == first["size"] and len(page["images"]) == min(2, first["size"])
    unsorted = client.get("/categories/0").json()
    assert unsorted["category"]["name"] == "Unsorted"
    renamed = client.patch(f"/categories/{first['id']}", json={"name": "  Best   shots "})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Best shots"
    assert (
        client.patch(f"/categories/{first['id']}", json={"name": None}).json()["user_name"] is None
    )
    points = client.get("/map").json()["points"]
    assert points and {"id", "category_id", "x", "y"} <= set(points[0])
    assert "/categories/{category_id}" in client.get("/openapi.json").json()["paths"]


def test_category_errors(client: TestClient) -> None:
    assert client.get("/categories/999").status_code == 404
    assert client.patch("/categories/999", json={"name": "x"}).status_code == 404
    assert client.get("/categories/-1").status_code == 422
    assert client.patch("/categories/1", json={"name": "x" * 201}).status_code == 422


def test_search_filters_by_category(settings: Settings, make_client) -> None:
    _cluster(settings)
    client = make_client()
    first = client.get("/categories").json()["categories"][0]
    hits = client.get("/search", params={"q": "red", "category": first["id"], "cutoff": 0}).json()
    member_ids = {
        img["id"]
        for img in client.get(f"/categories/{first['id']}", params={"limit": 200}).json()["images"]
    }
    assert hits["hits"] and {h["id"] for h in hits["hits"]} <= member_ids

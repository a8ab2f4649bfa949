"""GET/POST /search, POST /search/image and GET /images/{id}/similar."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import error_code, error_message, photo, upload


def test_search_by_words_returns_a_page(client: TestClient) -> None:
    response = client.get("/search", params={"q": "a red picture", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"hits", "total", "offset", "limit", "weights", "meaningless", "query"}
    reading = body["query"]
    assert reading["read_as"] == "plain text" and reading["phrases"] == []
    assert reading["terms"] == [{"kind": "text", "value": "a red picture", "weight": 1.0}]
    # the fake captions are as short as the query: words steps back, and the page says why
    assert body["weights"]["words"] < 1 and "as long as a caption" in reading["notes"][0]
    assert body["meaningless"] is True and body["limit"] == 3 and len(body["hits"]) == 3
    assert body["total"] >= 3
    assert all("red" in hit["caption"] for hit in body["hits"])
    assert {"id", "path", "score", "caption", "channels", "duplicate_of"} <= set(body["hits"][0])


def test_pages_follow_each_other(client: TestClient) -> None:
    whole = client.get("/search", params={"q": "red", "limit": 4, "cutoff": 0}).json()["hits"]
    second = client.get("/search", params={"q": "red", "limit": 2, "offset": 2, "cutoff": 0})
    assert [h["id"] for h in second.json()["hits"]] == [h["id"] for h in whole[2:4]]


def test_post_search_equals_get(client: TestClient) -> None:
    params = {"q": "blue", "limit": 5, "weights": "clip:1,words:0.5"}
    got = client.get("/search", params=params).json()
    posted = client.post("/search", json={**params, "weights": {"clip": 1, "words": 0.5}}).json()
    assert got == posted and got["weights"] == {"clip": 1.0, "caption": 0.0, "words": 0.5}


def test_filters_and_weights(client: TestClient) -> None:
    only_png = client.get("/search", params={"q": "red", "format": "png"}).json()
    assert only_png["hits"] == [] and only_png["total"] == 0
    huge = client.post("/search", json={"q": "red", "min_width": 100_000}).json()
    assert huge["total"] == 0
    words = client.get("/search", params={"q": "red", "weights": "words:1"}).json()
    assert words["hits"] and all(set(h["channels"]) == {"words"} for h in words["hits"])


@pytest.mark.parametrize(
    "params",
    [
        {"q": "red", "limit": 0},
        {"q": "red", "limit": 201},
        {"q": "red", "offset": -1},
        {"q": "red", "offset": 9990, "limit": 20},
        {"q": "red", "weights": "clip:x"},
        {"q": "red", "weights": "nope:1"},
        {"q": "red", "weights": "clip:0"},
        {"q": "red", "cutoff": 1.5},
        {"q": "red", "after": "not a date"},
        {"q": "red", "sources": "robots"},
        {"q": "red", "people": "two"},
        {"q": "red", "people": "4-2"},
        {"q": "red", "shot": "huge"},
        {"q": "x" * 2001},
        {"q": "#99999999999999999999999"},
        {},
    ],
)
def test_bad_parameters_are_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/search", params=params)  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    assert error_code(response) in {"invalid_request", "invalid_query", "invalid_filter"}


def test_structure_filters_are_accepted(client: TestClient) -> None:
    params = {"q": "red", "people": "2-4", "region": ["sea", "window"], "shot": "wide"}
    response = client.get("/search", params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    assert response.json()["hits"] == []  # no image has these facets computed
    posted = client.post("/search", json={"q": "red", "people": "0", "shot": ["close-up"]})
    assert posted.status_code == 200 and posted.json()["hits"] == []


def test_post_search_rejects_unknown_fields_and_bad_json(client: TestClient) -> None:
    assert client.post("/search", json={"q": "red", "limti": 3}).status_code == 422
    bad = client.post("/search", content=b"{", headers={"Content-Type": "application/json"})
    assert bad.status_code == 422 and error_code(bad) == "invalid_request"


def test_paths_in_the_query_never_read_a_file(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[object] = []
    monkeypatch.setattr("picsift.search.service.read_image_file", lambda *a, **k: read.append(a))
    arithmetic = client.get("/search", params={"q": '"red" + /etc/passwd.jpg'})
    assert arithmetic.status_code == 422 and "paths are not accepted" in error_message(arithmetic)
    posted = client.post("/search", json={"q": "~/secret.png + 'red'"})
    assert posted.status_code == 422
    plain = client.get("/search", params={"q": "/etc/passwd"})  # one text term, not a path
    assert plain.status_code == 200 and "root:" not in plain.text
    assert read == []


def test_search_by_an_uploaded_example(client: TestClient, indexed: Path) -> None:
    example = photo(indexed, 3)
    response = client.post("/search/image", files=upload(example), data={"limit": "3"})
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert len(hits) == 3 and hits[0]["channels"]["clip"]["score"] > 0.99
    with_text = client.post("/search/image", files=upload(example), data={"q": "red"})
    assert with_text.status_code == 200 and with_text.json()["hits"]


def test_search_by_example_refuses_what_is_not_an_image(client: TestClient) -> None:
    files = {"file": ("notes.jpg", b"just some text\n", "image/jpeg")}
    response = client.post("/search/image", files=files)
    assert response.status_code == 415 and "notes.jpg" in error_message(response)
    assert client.post("/search/image", data={"q": "red"}).status_code == 422  # no file


def test_search_by_example_checks_its_text_too(client: TestClient, indexed: Path) -> None:
    files = upload(photo(indexed))
    huge_id = client.post("/search/image", files=files, data={"q": "#99999999999999999999999"})
    assert huge_id.status_code == 422 and error_code(huge_id) == "invalid_query"
    path = client.post("/search/image", files=files, data={"q": '"red" + /etc/hosts.png'})
    assert path.status_code == 422 and "paths are not accepted" in error_message(path)


def test_similar_leaves_the_image_out(client: TestClient) -> None:
    response = client.get("/images/1/similar", params={"limit": 5})
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert len(hits) == 5 and 1 not in [h["id"] for h in hits]
    assert error_code(client.get("/images/9999/similar")) == "not_found"
    assert client.get("/images/1/similar", params={"limit": 500}).status_code == 422


def test_tag_filter(client: TestClient, settings) -> None:
    import json

    from picsift.store import Store

    with Store(settings.home) as store:
        rows = store.catalog._read("SELECT id, facets FROM images").fetchall()
    tags = {i: set(json.loads(f)["tags"]) for i, f in rows}
    some = next(t for ts in tags.values() for t in sorted(ts))  # the fake models' tags
    having = {i for i, ts in tags.items() if some in ts}
    body = client.get("/search", params={"q": "picture", "tag": some, "cutoff": 0}).json()
    assert body["hits"] and {h["id"] for h in body["hits"]} <= having
    none = client.get("/search", params={"q": "picture", "tag": "no such tag"}).json()
    assert none["hits"] == [] and none["total"] == 0

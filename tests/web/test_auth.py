"""With an API key configured, pages need a session from the login form; the API takes the
header as before, or the session cookie (writes only with the pages' request header)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from picsift.web.auth import SESSION_COOKIE, safe_next, session_token
from tests.api.helpers import MakeClient

KEY = "s3cret-key"


@pytest.fixture
def keyed(clustered: Path, make_client: MakeClient) -> TestClient:
    return make_client(api_key=KEY)


def _login(client: TestClient, key: str = KEY, next_url: str = "/ui") -> object:
    return client.post("/ui/login", data={"key": key, "next": next_url}, follow_redirects=False)


def test_pages_redirect_to_login_and_leak_nothing(keyed: TestClient) -> None:
    for path in ("/ui", "/ui/images/1", "/ui/search?q=red", "/ui/map", "/ui/status"):
        response = keyed.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/ui/login?next=%2Fui")
    form = keyed.get("/ui/login?next=%2Fui%2Fmap")
    assert form.status_code == 200 and 'type="password"' in form.text
    assert 'name="next" value="/ui/map"' in form.text
    assert keyed.get("/images/1/thumbnail").status_code == 401


def test_wrong_key_is_refused(keyed: TestClient) -> None:
    response = _login(keyed, "nope")
    assert response.status_code == 401 and "not the API key" in response.text
    assert SESSION_COOKIE not in response.cookies


def test_login_sets_a_session_that_opens_pages_and_reads(keyed: TestClient) -> None:
    response = _login(keyed, next_url="/ui/map")
    assert response.status_code == 303 and response.headers["location"] == "/ui/map"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and KEY not in cookie
    assert keyed.cookies[SESSION_COOKIE] == session_token(KEY)
    assert keyed.get("/ui").status_code == 200
    assert keyed.get("/images/1/thumbnail").status_code == 200
    assert keyed.get("/search", params={"q": "red"}).status_code == 200


def test_session_writes_need_the_pages_header(keyed: TestClient) -> None:
    _login(keyed)
    cid = keyed.get("/categories").json()["categories"][0]["id"]
    assert keyed.patch(f"/categories/{cid}", json={"name": "x"}).status_code == 401
    ok = keyed.patch(f"/categories/{cid}", json={"name": "x"}, headers={"X-Picsift-Request": "1"})
    assert ok.status_code == 200


def test_a_read_only_sign_in_stays_read_only(clustered: Path, make_client: MakeClient) -> None:
    client = make_client(api_key=KEY, api_read_key="reader")
    assert _login(client, "reader").status_code == 303  # type: ignore[attr-defined]
    assert client.cookies[SESSION_COOKIE] == session_token("reader")
    assert client.get("/ui").status_code == 200
    assert client.get("/search", params={"q": "red"}).status_code == 200
    cid = client.get("/categories").json()["categories"][0]["id"]
    page_write = {"X-Picsift-Request": "1"}
    denied = client.patch(f"/categories/{cid}", json={"name": "x"}, headers=page_write)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "read_only_key"


def test_header_key_still_works_and_logout_ends_the_session(keyed: TestClient) -> None:
    assert keyed.get("/categories", headers={"X-API-Key": KEY}).status_code == 200
    assert keyed.get("/ui", headers={"X-API-Key": KEY}).status_code == 200
    _login(keyed)
    out = keyed.post("/ui/logout", follow_redirects=False)
    assert out.status_code == 303
    keyed.cookies.clear()  # what the browser does with the expired cookie
    assert keyed.get("/ui", follow_redirects=False).status_code == 303


def test_a_forged_cookie_is_refused(keyed: TestClient) -> None:
    keyed.cookies.set(SESSION_COOKIE, session_token("another-key"))
    assert keyed.get("/ui", follow_redirects=False).status_code == 303
    assert keyed.get("/categories").status_code == 401


def test_without_a_key_login_is_not_needed(client: TestClient) -> None:
    response = client.get("/ui/login?next=%2Fui%2Fmap", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ui/map"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ui/map", "/ui/map"),
        ("//evil.example/x", "/ui"),
        ("https://evil.example", "/ui"),
        ("/\\evil.example", "/ui"),
        ("", "/ui"),
        (None, "/ui"),
    ],
)
def test_next_stays_on_this_server(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected

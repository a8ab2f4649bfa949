"""Nothing outside the library can be read through the API; the API key guards every route
but /health; upload names never reach the filesystem unsanitised; HTML output escapes text."""

from __future__ import annotations

import builtins
import io
import os
import secrets
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.store import Store
from tests.api.helpers import MakeClient, error_code, photo
from tests.fakes import FakeModels

SECRET = "picsift-secret-" + secrets.token_hex(8)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Files outside the library: a text secret and an image nobody indexed."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET + "\n")
    img = Image.new("RGB", (40, 30), (10, 200, 10))
    buf = io.BytesIO()
    img.save(buf, "JPEG", comment=SECRET.encode())
    (folder / "secret.jpg").write_bytes(buf.getvalue())
    return folder


def _leaks(body: bytes) -> bool:
    return SECRET.encode() in body or b"root:x:" in body


# Literal "../" segments are resolved by the client before sending; their encoded forms reach
# the server as they are.
TRAVERSALS = [
    "%2e%2e",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "..%5c..%5cetc%5cpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "%2fetc%2fpasswd",
    "%2F",
    "1%2f..%2f..%2f..%2fetc%2fpasswd",
    "1%00",
    "1;/etc/passwd",
    "-1",
    "0",
    "1.0",
    "1e3",
    "0x1",
    "%201",
    "9223372036854775808",
    "99999",
    "~root",
    "file:%2f%2f%2fetc%2fpasswd",
]
ROUTES = ["/images/{}", "/images/{}/file", "/images/{}/thumbnail", "/images/{}/description"]


def test_only_catalog_ids_reach_a_file(
    client: TestClient, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(outside) in str(file):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(outside) in str(path):
            opened.append(str(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    for template in ROUTES:
        for raw in [*TRAVERSALS, str(outside / "secret.txt").replace("/", "%2f")]:
            url = template.format(raw)
            response = client.get(url)
            assert not _leaks(response.content), url
            if response.status_code == 200:  # "1.0" is read as image 1, and nothing else
                assert response.content == client.get(template.format(1)).content, url
                continue
            assert response.status_code in (404, 405, 422), (url, response.status_code)
            assert error_code(response)
    # Paths given as query text or parameters are never opened either.
    for params in (
        {"q": str(outside / "secret.jpg")},
        {"q": f'"1:red" + {outside / "secret.jpg"}'},
        {"q": "red", "folder": str(outside)},
    ):
        response = client.get("/search", params=params)
        assert response.status_code in (200, 422) and not _leaks(response.content), params
    assert opened == [], "a request made the server open a file outside the library"
    # A folder filter only narrows catalog rows; it never lists or reads a directory.
    response = client.get("/search", params={"q": "red", "folder": "../../.."})
    assert response.status_code == 200 and not _leaks(response.content)
    assert all(
        Path(h["path"]).is_relative_to(outside.parent / "photos") for h in response.json()["hits"]
    )


def _index(settings: Settings, *roots: Path) -> None:
    with Store(settings.home) as store:
        Indexer(store, FakeModels(), settings).run(list(roots))


def _id_of(settings: Settings, path: Path) -> int:
    with Store(settings.home) as store:
        row = store.catalog.rows_under(str(path)).get(str(path))
    assert row is not None, path
    return row.id


def test_symlinks_out_of_the_library_read_nothing_else(
    client: TestClient, settings: Settings, indexed: Path, outside: Path
) -> None:
    # A link to a text file: indexed as an error, and its target is never served.
    (indexed / "notes.jpg").symlink_to(outside / "secret.txt")
    # A link to an image outside: indexed (links are followed by design) ...
    (indexed / "elsewhere.jpg").symlink_to(outside / "secret.jpg")
    # ... and an indexed photo that is later replaced by a link to the secret.
    swapped = photo(indexed, 4)
    _index(settings, indexed)
    text_id = _id_of(settings, indexed / "notes.jpg")
    link_id = _id_of(settings, indexed / "elsewhere.jpg")
    swap_id = _id_of(settings, swapped)
    assert client.get(f"/images/{text_id}").json()["status"] == "error"

    for url in (f"/images/{text_id}/file", f"/images/{text_id}/thumbnail"):
        response = client.get(url)
        assert response.status_code in (404, 409) and not _leaks(response.content), url

    assert client.get(f"/images/{link_id}/file").status_code == 200  # what was indexed
    # Retarget the links after indexing: the server must not follow them to other files.
    (indexed / "elsewhere.jpg").unlink()
    (indexed / "elsewhere.jpg").symlink_to(outside / "secret.txt")
    swapped.unlink()
    swapped.symlink_to("/etc/passwd")
    for image_id in (link_id, swap_id):
        for kind in ("file", "thumbnail"):
            response = client.get(f"/images/{image_id}/{kind}", params={"size": 512})
            assert response.status_code in (404, 409), (image_id, kind, response.status_code)
            assert not _leaks(response.content) and error_code(response)


def test_a_changed_file_is_not_served_as_the_indexed_one(client: TestClient, indexed: Path) -> None:
    path = photo(indexed, 6)
    row = client.get("/images/7").json()
    assert row["path"] == str(path)
    # Same bytes, new timestamp: still the indexed file, still served.
    os.utime(path, (1_000_000, 1_000_000))
    assert client.get("/images/7/file").content == path.read_bytes()
    # Other bytes: not what the catalog describes.
    Image.new("RGB", (30, 30), "black").save(path, "JPEG")
    response = client.get("/images/7/file")
    assert response.status_code == 409 and error_code(response) == "file_changed"


def test_api_key_guards_every_route_but_health(make_client: MakeClient) -> None:
    key = "k-" + secrets.token_hex(12)
    client = make_client(api_key=key)
    schema = client.get("/openapi.json", headers={"X-API-Key": key}).json()
    probes: list[tuple[str, str]] = []
    for route, methods in schema["paths"].items():
        url = route.replace("{image_id}", "1").replace("{category_id}", "1")
        probes += [(method.upper(), url) for method in methods]
    assert len(probes) >= 14
    wrong = [None, "", key[:-1], key + "x", key.upper(), " " + key, key[:-1] + "\u00e9"]
    for method, url in probes:
        for attempt in wrong:
            headers = {} if attempt is None else {"X-API-Key": attempt}
            try:
                response = client.request(method, url, headers=headers)
            except UnicodeEncodeError:
                continue  # httpx refuses non-latin-1 header values before sending
            if url == "/health":
                assert response.status_code == 200
                continue
            assert response.status_code == 401, (method, url, attempt, response.status_code)
            assert error_code(response) == "unauthorized" and key not in response.text
        right = client.request(method, url, headers={"X-API-Key": key})
        assert right.status_code != 401, (method, url)
    # Non-ASCII bytes in the header are refused, not a crash.
    raw = client.get("/search?q=red", headers=[(b"X-API-Key", key.encode() + b"\xff")])
    assert raw.status_code == 401


def test_api_key_comparison_is_constant_time() -> None:
    """The check uses hmac.compare_digest on bytes (not ==, not str): timing says nothing."""
    import inspect

    from picsift.api import deps

    source = inspect.getsource(deps._matches)  # what every key check goes through
    assert "hmac.compare_digest(" in source and "==" not in source.split("compare_digest")[1]
    for check in (deps.require_api_key, deps.check_admin_key):
        assert "_matches(" in inspect.getsource(check)


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/cron.d/evil.jpg",
        "..\\..\\windows\\evil.jpg",
        "/abs/olute.jpg",
        "....//....//x.jpg",
        ".hidden.jpg",
        "a\x00b.jpg",
        "new\nline.jpg",
        "<script>alert(1)</script>.jpg",
        "x" * 5000 + ".jpg",
        "\u202etxt.jpg",
        "con.jpg",
        "",
        ".",
        "..",
    ],
)
def test_upload_names_are_sanitised(client: TestClient, settings: Settings, name: str) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (24, 24), (len(name) % 256, 40, 90)).save(buf, "JPEG")
    response = client.post("/images", files={"file": (name, buf.getvalue(), "image/jpeg")})
    if response.status_code in (400, 422):  # refused by the form parser (no name, huge header)
        assert error_code(response) and not (settings.home / "uploads").exists()
        return
    assert response.status_code == 201, response.text
    saved = Path(response.json()["path"])
    day = (settings.home / "uploads" / date.today().isoformat()).resolve()
    assert saved.parent == day and saved.is_file() and not saved.is_symlink()
    assert len(saved.name.encode()) <= 110 and not saved.name.startswith(".")
    assert set(saved.name) <= SAFE_CHARS
    everything = [p for p in settings.home.parent.rglob("*") if p.is_file()]
    assert [p for p in everything if p.name == saved.name] == [saved]


SAFE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def test_raw_multipart_with_non_utf8_name(client: TestClient, settings: Settings) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (24, 24), "red").save(buf, "JPEG")
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="caf\xe9/../../x.jpg"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + buf.getvalue() + b"\r\n--b--\r\n"
    )
    response = client.post(
        "/images", content=body, headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:
        saved = Path(response.json()["path"])
        assert saved.parent.parent == (settings.home / "uploads").resolve()


def test_captions_are_escaped_in_html(client: TestClient, settings: Settings) -> None:
    """A caption or text read in an image that holds markup is shown as text by the web UI."""
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with Store(settings.home) as store, store.catalog.transaction() as conn:
        conn.execute(
            "UPDATE images SET caption = ?, user_caption = ?, ocr_text = ? WHERE id = 1",
            (payload, payload, payload),
        )
    page = client.get("/ui/images/1")
    if page.status_code == 404 and "/ui" not in client.get("/openapi.json").text:
        pytest.skip("no web UI in this build")
    assert page.status_code == 200, page.text
    assert "<script>alert" not in page.text and "onerror=alert(1)>" not in page.text
    assert "&lt;script&gt;" in page.text
    search = client.get("/ui/search", params={"q": "alert"})
    assert search.status_code == 200 and "<script>alert" not in search.text

"""POST /describe?image_url=: off by default; private addresses refused unless allowed;
same-host redirects only; size limit. A real HTTP server on 127.0.0.1 plays the remote."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.api.helpers import MakeClient, photo

BIG = 64 * 1024


@pytest.fixture
def remote(photos: Path) -> Iterator[str]:
    body = photo(photos).read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/photo.jpg":
                self._send(200, body, "image/jpeg")
            elif self.path == "/same-host":
                self._redirect("/photo.jpg")
            elif self.path == "/elsewhere":
                self._redirect("http://example.invalid/photo.jpg")
            elif self.path == "/big.jpg":
                self._send(200, b"\xff" * BIG * 2, "image/jpeg")
            else:
                self._send(404, b"no", "text/plain")

        def _send(self, status: int, data: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, where: str) -> None:
            self.send_response(302)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _describe(client, url: str):  # type: ignore[no-untyped-def]
    return client.post("/describe", params={"image_url": url, "facets": "colours"})


def test_fetching_is_off_by_default(make_client: MakeClient, remote: str) -> None:
    response = _describe(make_client(), f"{remote}/photo.jpg")
    assert response.status_code == 422 and "PICSIFT_FETCH_URLS" in response.text


def test_loopback_is_refused_unless_allowed(make_client: MakeClient, remote: str) -> None:
    refused = _describe(make_client(fetch_urls=True), f"{remote}/photo.jpg")
    assert refused.status_code == 422 and "non-public address (127.0.0.1)" in refused.text
    allowed = make_client(fetch_urls=True, fetch_allow=["127.0.0.0/8"])
    got = _describe(allowed, f"{remote}/photo.jpg")
    assert got.status_code == 200, got.text
    assert got.json()["facets"]["colours"]["palette"]
    assert _describe(allowed, f"{remote}/same-host").status_code == 200
    away = _describe(allowed, f"{remote}/elsewhere")
    assert away.status_code == 422 and "redirects to another host" in away.text
    assert _describe(allowed, f"{remote}/missing.jpg").status_code == 502


def test_limits_schemes_and_exactly_one_source(
    make_client: MakeClient, remote: str, photos: Path
) -> None:
    client = make_client(fetch_urls=True, fetch_allow=["127.0.0.1"], max_upload_bytes=BIG)
    assert _describe(client, f"{remote}/big.jpg").status_code == 413
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "http://user:pw@127.0.0.1/x"):
        response = _describe(client, url)
        assert response.status_code == 422 and "image_url" in response.text, url
    neither = client.post("/describe")
    assert neither.status_code == 422
    both = client.post(
        "/describe",
        params={"image_url": f"{remote}/photo.jpg"},
        files={"file": ("a.jpg", photo(photos).read_bytes(), "image/jpeg")},
    )
    assert both.status_code == 422 and "exactly one" in both.text

"""Every documented bound holds at its edge: inside it answers, one past it is refused with
the documented status (README "Limits")."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from picsift.search.query import MAX_QUERY_CHARS, MAX_TERMS
from picsift.store.filters import MAX_FILTER_VALUES
from tests.api.helpers import MakeClient, error_code


def test_query_length_terms_page_and_filter_counts(client: TestClient) -> None:
    def status(**body: object) -> int:
        return client.post("/search", json=body).status_code

    assert status(q="r" * MAX_QUERY_CHARS) == 200
    assert status(q="r" * (MAX_QUERY_CHARS + 1)) == 422
    terms = " + ".join(f'"w{i}"' for i in range(MAX_TERMS))
    assert status(q=terms) == 200
    assert status(q=terms + ' + "one more"') == 422
    assert status(q="red", limit=200) == 200 and status(q="red", limit=201) == 422
    assert status(q="red", offset=9_800, limit=200) == 200
    assert status(q="red", offset=9_801, limit=200) == 422
    for name, value in (("folder", "/x"), ("format", "png"), ("category", 1)):
        assert status(q="red", **{name: [value] * MAX_FILTER_VALUES}) == 200, name
        assert status(q="red", **{name: [value] * (MAX_FILTER_VALUES + 1)}) == 422, name


def test_request_size_and_pixel_count(make_client: MakeClient) -> None:
    client = make_client(max_upload_bytes=50_000, max_image_pixels=1_000_000)
    huge_body = {"q": "red", "folder": ["x" * 3000] * 50}  # over the cap + form overhead
    too_big = client.post("/search", json=huge_body)
    assert too_big.status_code == 413 and error_code(too_big) == "too_large"

    def png(width: int, height: int) -> bytes:
        buf = io.BytesIO()
        Image.new("1", (width, height)).save(buf, "PNG")
        return buf.getvalue()

    fits = client.post("/describe", files={"file": ("a.png", png(1000, 1000), "image/png")})
    assert fits.status_code == 200, fits.text
    over = client.post("/describe", files={"file": ("b.png", png(1001, 1000), "image/png")})
    assert over.status_code == 422 and "decompression-bomb guard" in over.text

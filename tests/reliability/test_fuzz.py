"""Property-based fuzzing, bounded to run in seconds: decoding untrusted bytes, the query
language, search filters, and the HTTP API generated from its own OpenAPI schema.

Each property is "answers or refuses with picsift's own error, never anything else". The
runs are derandomised (the same examples every time, so CI is stable); explore further
with ``PICSIFT_FUZZ_EXAMPLES=5000 PICSIFT_FUZZ_RANDOM=1``. Crashes found so far are pinned
as regression tests at the bottom.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from picsift.app import create_app
from picsift.config import Settings
from picsift.errors import ImageError
from picsift.imaging import decode_image
from picsift.indexer import Indexer
from picsift.search.query import MAX_TERMS, QueryError, parse_query
from picsift.store import Catalog, Store
from picsift.store.filters import FilterError, Filters
from tests.conftest import SAMPLES
from tests.fakes import FakeModels

EXAMPLES = int(os.environ.get("PICSIFT_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("PICSIFT_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# -- decoding -------------------------------------------------------------------------------


def _seed_images() -> list[bytes]:
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8))
    out = []
    for fmt, img, kw in (
        ("JPEG", noisy, {}),
        ("JPEG", noisy.convert("CMYK"), {}),
        ("PNG", noisy, {}),
        ("PNG", noisy.convert("P"), {"transparency": 0}),
        ("PNG", Image.fromarray(np.arange(768, dtype=np.uint16).reshape(24, 32)), {}),
        ("GIF", noisy.convert("P"), {}),
        ("WEBP", noisy, {}),
        ("TIFF", noisy, {}),
        ("BMP", noisy, {}),
    ):
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        out.append(buf.getvalue())
    exif = Image.Exif()
    exif[274] = 6
    exif[306] = "2024:01:02 03:04:05"
    buf = io.BytesIO()
    noisy.save(buf, "JPEG", exif=exif.tobytes())
    out.append(buf.getvalue())
    return out


SEEDS = _seed_images()


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    """A valid small image with a few bytes flipped, cut, inserted or overwritten."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(("flip", "cut", "insert", "overwrite", "header")))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "overwrite":
            chunk = draw(st.sampled_from((b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff")))
            data[at : at + len(chunk)] = chunk
        else:  # the header, where sizes and offsets live
            at = draw(st.integers(0, min(40, max(0, len(data) - 1))))
            if data:
                data[at] = draw(st.integers(0, 255))
    return bytes(data)


@FUZZ
@given(st.one_of(st.binary(max_size=600), mutated_images()))
def test_decoding_answers_or_says_why(data: bytes) -> None:
    try:
        decoded = decode_image(data, "fuzz.img", max_pixels=4_000_000, max_side=64)
    except ImageError as exc:
        assert exc.source == "fuzz.img" and exc.reason
        return
    assert decoded.image.mode == "RGB"
    assert min(decoded.image.size) >= 1 and max(decoded.image.size) <= 64
    assert decoded.width >= 1 and decoded.height >= 1 and decoded.format


# -- query language -------------------------------------------------------------------------

# Tokens of the query language, glued at random: reaches its corners much faster than text.
QUERY_TOKENS = [*"ab x\"'+-:#.0129/\\~\t\n", "id:", "jpg", ".png", "é", "\x00", "9" * 400]
query_texts = st.lists(st.sampled_from(QUERY_TOKENS), max_size=40).map("".join)


@FUZZ
@given(st.one_of(st.text(max_size=300), query_texts))
def test_query_parser_answers_or_says_why(text: str) -> None:
    try:
        query = parse_query(text)
    except QueryError as exc:
        assert str(exc)
        return
    assert 1 <= len(query.terms) <= MAX_TERMS
    assert any(t.positive for t in query.terms)
    for term in query.terms:
        assert term.weight != 0 and math.isfinite(term.weight), term
        assert term.value.strip(), term
        if term.kind == "id":
            assert 0 <= int(term.value) < 2**63


# -- filters --------------------------------------------------------------------------------


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    cat = Catalog(tmp_path / "fuzz.db")
    cat.add_pending([("/p/a.jpg", 10, 1)])
    yield cat
    cat.close()


_texts = st.text(max_size=20)
_ints = st.one_of(st.none(), st.integers(-(2**70), 2**70))
_filters = st.builds(
    Filters,
    folders=st.lists(_texts, max_size=55).map(tuple),
    formats=st.lists(_texts, max_size=55).map(tuple),
    after=st.one_of(st.none(), _texts, st.dates().map(str)),
    before=st.one_of(st.none(), _texts, st.datetimes().map(str)),
    min_width=_ints,
    min_height=_ints,
    min_bytes=_ints,
    max_bytes=_ints,
    categories=st.lists(st.integers(-(2**70), 2**70), max_size=55).map(tuple),
    tags=st.lists(_texts, max_size=55).map(tuple),
)


@FUZZ
@given(filters=_filters)
def test_filters_compile_to_sql_that_runs_or_say_why(catalog: Catalog, filters: Filters) -> None:
    try:
        catalog.ids_matching(filters)
    except FilterError as exc:
        assert str(exc)


# -- the HTTP API, from its OpenAPI schema ---------------------------------------------------


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The API over a fake-model store of the sample photos, started (lifespan) once."""
    home = tmp_path_factory.mktemp("fuzz") / "home"
    settings = Settings(home=home, decode_workers=1, api_queue=64)
    with Store(home) as store:
        Indexer(store, FakeModels(), settings).run([SAMPLES])
    app = create_app(settings, FakeModels())
    with TestClient(app):
        yield app


API_EXAMPLES = int(os.environ.get("PICSIFT_FUZZ_API_EXAMPLES", "25"))
API_FUZZ = settings(
    max_examples=API_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("PICSIFT_FUZZ_RANDOM"),
    suppress_health_check=list(HealthCheck),
)
API_CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


def test_api_never_fails_and_keeps_to_its_schema(api_app: Any) -> None:
    """schemathesis, every operation of /openapi.json: no 5xx other than the documented 503,
    statuses, content types and bodies as the schema says."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),  # invalid on purpose: 4xx, never 5xx
        )

        @API_FUZZ
        @given(case=strategy)
        def check(case: Any) -> None:
            case.call_and_validate(checks=API_CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # one report for every operation
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)


# -- regressions: what the fuzzers found ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ('"' + "9" * 400 + ':red" + "blue"', "weight too large"),  # was weight=inf
        ("9" * 400 + ':"red" + "blue"', "weight too large"),
        ('"   "', "no words"),  # was a blank text term
    ],
)
def test_regression_query_weights_are_finite_and_terms_not_blank(query: str, reason: str) -> None:
    with pytest.raises(QueryError, match=reason):
        parse_query(query)


def test_regression_a_blank_quoted_term_is_plain_text_not_a_blank_term() -> None:
    query = parse_query('" " + red')  # stray quotes around nothing: plain text
    assert all(t.value.strip() for t in query.terms)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(min_width=2**63),
        Filters(max_bytes=-(2**70)),
        Filters(categories=(1, 2**64)),
    ],
)
def test_regression_huge_filter_numbers_are_refused(catalog: Catalog, filters: Filters) -> None:
    # was: OverflowError from SQLite, a traceback from `picsift search --min-width 1e20`
    with pytest.raises(FilterError, match="at most"):
        catalog.ids_matching(filters)


def test_regression_cli_search_with_a_huge_number_is_exit_2(
    photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from picsift.cli import app
    from tests.reliability import fakecli

    fakecli.install(monkeypatch.setattr)
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(photos)]).exit_code == 0
    result = runner.invoke(
        app, ["search", "red", "--min-width", "99999999999999999999", "--channels", "words"]
    )
    assert result.exit_code == 2 and "at most" in result.stderr, result.output


def test_regression_unparsable_bodies_are_422(api_app: Any) -> None:
    client = TestClient(api_app)
    # was 400 (undocumented): bytes that are not UTF-8 JSON, and broken multipart
    bad_json = client.post(
        "/search", content=b"!e\xff", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 422 and bad_json.json()["error"]["code"] == "invalid_request"
    patch = client.patch(
        "/categories/1", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
    )
    assert patch.status_code == 422
    broken = client.post(
        "/describe",
        content=b"--b\r\n+\xc2\x83--b--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid_request"


def test_regression_text_descriptions_are_documented(api_app: Any) -> None:
    # was: GET /images/{id}/description?format=text answered text/plain, documented JSON only
    schema = TestClient(api_app).get("/openapi.json").json()
    content = schema["paths"]["/images/{image_id}/description"]["get"]["responses"]["200"]
    assert {"application/json", "text/plain"} <= set(content["content"])

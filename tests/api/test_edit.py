"""POST /edit starts a job, GET /edit/{job} follows it; the variant is searchable and marked."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from picsift.models.edit_base import EditRequest, Progress
from picsift.models.presets import EditMethod
from tests.api.helpers import MakeClient, error_code, error_message
from tests.fakes import FakeEditor, FakeModels

needs_exiftool = pytest.mark.skipif(
    shutil.which("exiftool") is None,
    reason="marking variants needs exiftool (.ci/run installs libimage-exiftool-perl)",
)


def _finished(client: TestClient, job: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = client.get(f"/edit/{job}").json()
        if body["status"] not in ("queued", "running"):
            return dict(body)
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not finish")


@needs_exiftool
def test_an_edit_job_makes_a_searchable_marked_variant(client: TestClient) -> None:
    from picsift.metadata.exiftool import ExifTool

    started = client.post("/edit", json={"image_ids": [1], "instruction": "at night"})
    assert started.status_code == 202, started.text
    job = _finished(client, started.json()["job"])
    assert job["status"] == "done" and job["progress"] == 1.0, job
    (variant,) = job["variant_ids"]
    item = job["items"][0]
    assert item["variant_id"] == variant and item["candidates"][0]["structure"] is not None
    links = client.get(f"/images/{variant}/variants").json()
    assert links["variant_of"]["original_id"] == 1 and links["variant_of"]["ai_made"]
    assert [v["id"] for v in client.get("/images/1/variants").json()["variants"]] == [variant]
    hidden = client.get("/search", params={"q": "dress", "limit": 100}).json()
    assert variant not in {h["id"] for h in hidden["hits"]}
    shown = client.get("/search", params={"q": "dress", "limit": 100, "variants": "include"})
    assert variant in {h["id"] for h in shown.json()["hits"]}
    path = Path(client.get(f"/images/{variant}").json()["path"])
    marks = ExifTool().read(path, "XMP:all")
    assert marks["XMP-iptcExt:DigitalSourceType"].endswith("compositeWithTrainedAlgorithmicMedia")


@needs_exiftool
def test_a_series_over_a_category_gives_one_variant_per_member(
    make_client: MakeClient, settings: Any
) -> None:
    from picsift.cluster.service import CategoryService
    from picsift.store import Store

    with Store(settings.home) as store:
        CategoryService(store, FakeModels(), settings).cluster("image")
        category = store.categories.all()[0]
        members, _ = store.categories.member_ids(category.id, 0, 100)
    client = make_client()
    started = client.post("/edit", json={"category": category.id, "instruction": "in winter"})
    assert started.status_code == 202, started.text
    job = _finished(client, started.json()["job"])
    assert job["status"] == "done", job
    assert sorted(i["image_id"] for i in job["items"]) == sorted(members)
    assert len(job["variant_ids"]) == len(members)


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"image_ids": [1], "instruction": ""}, "invalid_edit", "empty"),
        ({"image_ids": [1], "instruction": "x" * 301}, "invalid_edit", "301 characters"),
        ({"image_ids": [1], "instruction": "x", "method": "nope"}, "invalid_edit", "nope"),
        ({"image_ids": [999], "instruction": "at night"}, "invalid_edit", "no image with id"),
        ({"instruction": "at night"}, "invalid_edit", "give image_ids or a category"),
        ({"image_ids": [1], "instruction": "x", "strength": 2}, "invalid_request", "strength"),
    ],
)
def test_bad_edits_are_refused_at_once(
    client: TestClient, body: dict[str, Any], code: str, words: str
) -> None:
    response = client.post("/edit", json=body)
    assert response.status_code == 422 and error_code(response) == code
    assert words in error_message(response)


def test_an_unknown_job_is_404(client: TestClient) -> None:
    assert client.get(f"/edit/{'0' * 32}").status_code == 404
    assert client.get("/edit/not-a-job").status_code == 422


class HeldEditor(FakeEditor):
    """Waits for the test before finishing, so jobs pile up."""

    def __init__(self, method: EditMethod, gate: threading.Event) -> None:
        super().__init__(method)
        self._gate = gate

    def _forward(self, request: EditRequest, progress: Progress | None) -> Any:
        self._gate.wait(10)
        return super()._forward(request, progress)


class HeldModels(FakeModels):
    def __init__(self, gate: threading.Event) -> None:
        super().__init__()
        self._gate = gate

    def editor(self, method: str) -> FakeEditor:
        if method not in self._editors:
            self._editors[method] = HeldEditor(self.preset.edits[method], self._gate)
        return self._editors[method]


def test_a_full_edit_queue_answers_503_with_retry_after(make_client: MakeClient) -> None:
    gate = threading.Event()
    client = make_client(HeldModels(gate), edit_queue=0)
    try:
        first = client.post("/edit", json={"image_ids": [1], "instruction": "at night"})
        assert first.status_code == 202
        busy = client.post("/edit", json={"image_ids": [2], "instruction": "at night"})
        assert busy.status_code == 503 and error_code(busy) == "edit_queue_full"
        assert int(busy.headers["Retry-After"]) >= 1
    finally:
        gate.set()

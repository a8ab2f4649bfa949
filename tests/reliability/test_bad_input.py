"""The bad-input corpus through ``picsift index`` and the upload endpoints.

Each input is handled (indexed / described, with the right size) or refused with a reason
naming it; the run goes on; exit codes and HTTP statuses are the documented ones; and what
was indexed before is not touched.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from picsift.cli import app
from picsift.cli.common import EXIT_OK, EXIT_PARTIAL
from picsift.config import Settings
from picsift.imaging import decode_image
from tests.api.helpers import error_code, error_message
from tests.conftest import REPO
from tests.reliability import checks, fakecli
from tests.reliability.corpus import ERROR, OK, build_library, byte_cases, display

runner = CliRunner()


def _index(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["index", *args, "--json"], catch_exceptions=False)
    assert result.exit_code in (EXIT_OK, EXIT_PARTIAL), result.output
    return result.exit_code, json.loads(result.stdout)


class _Flipper(threading.Thread):
    """Rewrites one file in place, between two JPEGs of different sizes, until stopped."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.versions = [
            _jpeg((200, 150)),
            _jpeg((320, 240)),
        ]
        self.stop = threading.Event()
        self.writes = 0
        path.write_bytes(self.versions[0])

    def run(self) -> None:
        while not self.stop.is_set():
            with open(self.path, "r+b") as fh:
                fh.truncate(0)
                data = self.versions[self.writes % 2]
                fh.write(data[: len(data) // 2])
                fh.flush()
                fh.write(data[len(data) // 2 :])
            self.writes += 1


def _jpeg(size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise(size, 60).convert("RGB").save(buf, "JPEG")
    return buf.getvalue()


def test_corpus_through_picsift_index(
    photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakecli.install(monkeypatch.setattr)
    db = Path(os.environ["PICSIFT_HOME"]) / "catalog.db"
    code, first = _index(str(photos))
    assert code == EXIT_OK and first["indexed"] == 20
    before = checks.snapshot(db)

    lib = build_library(tmp_path / "corpus", unreadable=False)  # root: see the test below
    changing = _Flipper(lib.folder / "changing.jpg")
    changing.start()
    try:
        code, summary = _index(str(photos), str(lib.folder))
    finally:
        changing.stop.set()
        changing.join()
    assert code == EXIT_PARTIAL  # done, some files failed, all listed

    errors = {e["path"]: e["reason"] for e in summary["errors"]}
    for case in lib.expected_errors():
        where = display(case.path)
        assert where in errors, f"{case.note or where}: no error reported"
        assert case.reason in errors[where].lower(), (where, errors[where])
    flipped = errors.pop(str(changing.path), None)
    if flipped is not None:  # caught mid-write; any reason must say what happened
        reasons = ("changed while", "truncated", "corrupt", "empty file")
        assert any(w in flipped for w in reasons), flipped
    unexpected = set(errors) - {display(c.path) for c in lib.expected_errors()}
    assert not unexpected, {p: errors[p] for p in unexpected}

    with checks.connect(db) as conn:
        rows = {
            r[0]: r[1:]
            for r in conn.execute("SELECT path, status, width, height, error FROM images")
        }
    sizes = {c.name: c.size for c in byte_cases()}
    for case in lib.expected_ok():
        status, width, height, error = rows[str(case.path)]
        assert status == "ok", (case.path, error)
        if sizes.get(case.path.name):
            assert (width, height) == sizes[case.path.name], case.path.name
    # What was indexed before is untouched: same rows, same vectors, same ids.
    after = checks.snapshot(db)
    assert {k: after["images"][k] for k in before["images"]} == before["images"]
    assert {k: after["vectors"][k] for k in before["vectors"]} == before["vectors"]
    assert summary["unchanged"] == 20 and summary["pruned"] == 0
    assert checks.problems(db) == []

    # Again: nothing is redone, every failure is listed again, nothing is duplicated.
    code, again = _index(str(photos), str(lib.folder))
    assert code == EXIT_PARTIAL and again["indexed"] <= 1  # at most the flipped file
    assert {e["path"] for e in again["errors"]} >= {display(c.path) for c in lib.expected_errors()}
    assert checks.problems(db) == []
    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    assert status["index_in_sync"] and status["indexed"] == checks.counts(db)["ok"]


def test_corpus_through_picsift_describe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``picsift describe`` on every file: one line each, in order, errors named; exit 1."""
    fakecli.install(monkeypatch.setattr)
    lib = build_library(tmp_path / "corpus", unreadable=False)
    files = [c for c in lib.cases if "loops" not in c.path.parts]  # links: the indexer's job
    result = runner.invoke(
        app, ["describe", *map(str, (c.path for c in files)), "--format", "json"]
    )
    assert result.exit_code == EXIT_PARTIAL, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["source"] for d in lines] == [str(c.path) for c in files]
    for case, described in zip(files, lines, strict=True):
        if case.expect == OK:
            assert described["error"] is None and described["caption"], case.path.name
        elif "utf-8" not in case.reason:  # describe reads any name it is given
            assert case.reason in described["error"].lower(), (case.path.name, described)
    assert not (Path(os.environ["PICSIFT_HOME"]) / "catalog.db").exists()


def _drop_file_permission_override() -> list[str] | None:
    """A command prefix under which file modes bind (root ignores them), or None."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]


def test_unreadable_file_is_named_and_the_run_goes_on(
    photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = _drop_file_permission_override()
    if prefix is None:
        pytest.skip(
            "running as root without setpriv: chmod 000 does not stop root from reading, so an "
            "unreadable file cannot be made here"
        )
    folder = tmp_path / "lib"
    folder.mkdir()
    keep = sorted(photos.glob("*.jpg"))[:3]
    for source in keep:
        shutil.copy(source, folder / source.name)
    locked = folder / "locked.jpg"
    shutil.copy(sorted(photos.glob("*.jpg"))[3], locked)
    locked.chmod(0)
    command = [sys.executable, "-m", "tests.reliability.fakecli", "index", str(folder), "--json"]
    run = subprocess.run(
        [*prefix, *command],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert run.returncode == EXIT_PARTIAL, run.stderr
    summary = json.loads(run.stdout)
    assert summary["indexed"] == 3
    assert summary["errors"] == [{"path": str(locked), "reason": "permission denied"}]
    # Once readable, the next run indexes it (the error row is retried when the file changes).
    locked.chmod(0o644)
    os.utime(locked)
    fakecli.install(monkeypatch.setattr)  # in-process from here on: modes no longer matter
    code, again = _index(str(folder))
    assert code == EXIT_OK and again["indexed"] == 1


@pytest.mark.parametrize("endpoint", ["/describe", "/images", "/search/image"])
def test_corpus_through_the_upload_endpoints(
    client: TestClient, settings: Settings, endpoint: str
) -> None:
    db = settings.home / "catalog.db"
    before = checks.snapshot(db)
    added = 0
    for case in byte_cases():
        response = client.post(
            endpoint, files={"file": (case.name, case.data, "application/octet-stream")}
        )
        expected = case.http
        if case.expect == OK and endpoint == "/images":
            expected = 201
        assert response.status_code == expected, (case.name, response.text)
        if case.expect == ERROR:
            code = error_code(response)
            assert code == ("unsupported_image" if case.http == 415 else "invalid_image")
            message = error_message(response)
            assert message.startswith(f"{case.name}: "), message
            assert case.reason in message.lower(), (case.name, message)
            continue
        body = response.json()
        if endpoint == "/images":
            added += 1
            assert body["status"] == "ok" and Path(body["path"]).is_file()
        if endpoint != "/search/image" and case.size:
            assert (body["width"], body["height"]) == case.size, case.name
    assert client.get("/health").status_code == 200
    after = checks.snapshot(db)
    assert {k: after["images"][k] for k in before["images"]} == before["images"]
    assert len(after["images"]) == len(before["images"]) + added
    uploads = settings.home / "uploads"
    saved = [p for p in uploads.rglob("*") if p.is_file()] if uploads.exists() else []
    assert len(saved) == added  # refused uploads leave no file behind
    assert checks.problems(db) == []


def test_exif_orientation_matches_the_reference_transpose() -> None:
    from PIL import ImageOps

    for case in byte_cases():
        if not case.name.startswith("exif-orientation-"):
            continue
        with Image.open(io.BytesIO(case.data)) as img:
            img.load()
            reference = ImageOps.exif_transpose(img).convert("RGB")
        decoded = decode_image(case.data, case.name, max_pixels=10**8, max_side=1024)
        assert decoded.image.size == reference.size, case.name
        a = np.asarray(decoded.image.convert("L"), dtype=np.int16)
        b = np.asarray(reference.convert("L"), dtype=np.int16)
        assert np.abs(a - b).max() < 40, case.name

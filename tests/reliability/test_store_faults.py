"""The store under faults: a full disk, a read-only mount, two writers, readers during a
write, and schema versions older and newer than this picsift."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from picsift.app import create_app
from picsift.cli import app
from picsift.cli.common import EXIT_ERROR, EXIT_OK
from picsift.config import Settings
from picsift.search import SearchService
from picsift.store import Store
from picsift.store.filters import Filters
from picsift.store.sqlite.schema import MIGRATIONS, SCHEMA_VERSION, register_functions
from tests.api.helpers import error_code, error_message
from tests.fakes import FakeModels
from tests.reliability import checks, fakecli

runner = CliRunner()


def _cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout, result.stderr


def _images(folder: Path, count: int, start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        img = Image.new("RGB", (48, 40), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
        img.putpixel((i % 48, 0), (255, 255, 255))
        img.save(folder / f"img{i:04d}.jpg", quality=90)
    return folder


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    fakecli.install(monkeypatch.setattr)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs: a disk that fills up, and that can be remounted read-only."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the CI runs as root)")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(mnt: Path, keep_bytes: int) -> Path:
    """Fill the filesystem until ``keep_bytes`` are left."""
    filler = mnt / "filler"
    filler.unlink(missing_ok=True)
    st = os.statvfs(mnt)
    left = st.f_bavail * st.f_frsize - keep_bytes
    with open(filler, "wb") as fh:
        while left > 0:
            try:
                left -= fh.write(b"\0" * min(left, 64 * 1024))
                fh.flush()
            except OSError:  # ENOSPC: as full as it gets
                break
    return filler


@pytest.mark.usefixtures("fakes")
def test_disk_full_is_a_clear_error_and_loses_nothing(
    tmpfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmpfs / "home"
    monkeypatch.setenv("PICSIFT_HOME", str(home))
    first = _images(tmp_path / "first", 10)
    assert _cli("index", str(first), "--json")[0] == EXIT_OK
    db = home / "catalog.db"
    before = checks.snapshot(db)

    more = _images(tmp_path / "more", 150, start=100)
    _fill(tmpfs, 48 * 1024)
    code, out, err = _cli("index", str(first), str(more), "--json")
    assert code == EXIT_ERROR, out + err
    assert "full" in err and "free some disk space" in err and "Traceback" not in err

    # Uploads: nothing half-saved, a JSON error rather than a 500.
    settings = Settings(home=home, preload_models=False)
    with TestClient(create_app(settings, FakeModels()), raise_server_exceptions=False) as client:
        _fill(tmpfs, 0)
        buf = io.BytesIO()
        Image.new("RGB", (64, 64), "red").save(buf, "PNG")
        response = client.post("/images", files={"file": ("red.png", buf.getvalue(), "image/png")})
        assert response.status_code == 503, response.text
        assert error_code(response) == "store_unavailable" and "red.png" in error_message(response)
    saved = list((home / "uploads").rglob("*")) if (home / "uploads").exists() else []
    assert not [p for p in saved if p.is_file()]

    (tmpfs / "filler").unlink()
    assert checks.problems(db) == []
    after = checks.snapshot(db)
    assert {k: after["images"][k] for k in before["images"]} == before["images"]
    code, out, _ = _cli("index", str(first), str(more), "--json")
    assert code == EXIT_OK and json.loads(out)["indexed"] + len(before["images"]) > 10
    status = json.loads(_cli("status", "--json")[1])
    assert status["indexed"] == 160 and status["index_in_sync"]


@pytest.mark.usefixtures("fakes")
def test_read_only_store_is_a_clear_error_and_stays_intact(
    tmpfs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmpfs / "home"
    monkeypatch.setenv("PICSIFT_HOME", str(home))
    photos = _images(tmp_path / "photos", 8)
    assert _cli("index", str(photos))[0] == EXIT_OK
    before = checks.snapshot(home / "catalog.db")
    remount = subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], capture_output=True)
    if remount.returncode != 0:
        pytest.skip(f"cannot remount read-only: {remount.stderr!r}")
    try:
        more = _images(tmp_path / "more", 3, start=50)
        for args in (("index", str(photos), str(more)), ("status",), ("cluster",)):
            code, out, err = _cli(*args)
            assert code == EXIT_ERROR, (args, out, err)
            assert "catalog.db" in err and "writable" in err and "Traceback" not in err
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
    assert checks.problems(home / "catalog.db") == []
    assert checks.snapshot(home / "catalog.db") == before


@pytest.mark.usefixtures("fakes")
def test_a_second_indexer_is_refused_while_readers_keep_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Path(os.environ["PICSIFT_HOME"])
    photos = _images(tmp_path / "photos", 40)
    assert _cli("index", str(photos))[0] == EXIT_OK
    settings = Settings(home=home)
    more = _images(tmp_path / "more", 60, start=200)

    # A writer (the real Indexer, on its own connection) holds the lock for the whole run;
    # a gate inside its captioner keeps it mid-run while we probe.
    inside, release = threading.Event(), threading.Event()
    models = FakeModels()
    caption = models.captioner()._generate

    def slow_generate(batch: list[str]) -> list[str]:
        inside.set()
        release.wait(20)
        return caption(batch)

    monkeypatch.setattr(models.captioner(), "_generate", slow_generate)
    from picsift.indexer import Indexer

    failure: list[BaseException] = []

    def write() -> None:
        try:
            with Store(home) as store:
                Indexer(store, models, settings).run([photos, more])
        except BaseException as exc:  # reported below
            failure.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert inside.wait(20), "the indexer never reached its models"
        code, out, err = _cli("index", str(photos), str(more))
        assert code == EXIT_ERROR and "is writing to the store" in err, out + err
        assert f"pid {os.getpid()}" in err
        assert _cli("cluster")[0] == EXIT_ERROR
        # Readers: the CLI, a search service on its own connection, and the HTTP API.
        assert json.loads(_cli("status", "--json")[1])["indexed"] >= 40
        with Store(home) as store:
            search = SearchService(store, FakeModels(), settings)
            for query in ("red", "img0003", "blue + green"):
                started = time.monotonic()
                assert search.search(query).hits
                assert time.monotonic() - started < 5
        api = Settings(home=home, preload_models=False)
        with TestClient(create_app(api, FakeModels()), raise_server_exceptions=False) as client:
            assert client.get("/search", params={"q": "red"}).status_code == 200
            busy = client.post("/describe", params={"store": "true"}, files=_png_upload())
            assert busy.status_code == 409 and error_code(busy) == "store_busy"
    finally:
        release.set()
        writer.join(60)
    assert not failure, failure
    assert checks.problems(home / "catalog.db") == []
    assert checks.counts(home / "catalog.db")["ok"] == 100


def _png_upload() -> dict[str, tuple[str, bytes, str]]:
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), "blue").save(buf, "PNG")
    return {"file": ("blue.png", buf.getvalue(), "image/png")}


def test_a_store_from_a_newer_picsift_is_refused_untouched(tmp_path: Path) -> None:
    home = Path(os.environ["PICSIFT_HOME"])
    home.mkdir(parents=True)
    with checks.connect(home / "catalog.db") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for args in (("status",), ("index", str(tmp_path)), ("search", "red")):
        code, out, err = _cli(*args)
        assert code == EXIT_ERROR and "newer than this picsift" in err, (args, out, err)
    with checks.connect(home / "catalog.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_an_older_store_migrates_and_keeps_its_data(version: int) -> None:
    home = Path(os.environ["PICSIFT_HOME"])
    home.mkdir(parents=True)
    conn = sqlite3.connect(home / "catalog.db")
    register_functions(conn)
    for script in MIGRATIONS[:version]:
        conn.executescript(script)
    conn.execute(
        "INSERT INTO images(path, folder, sha256, size, mtime_ns, width, height, format, caption, "
        "status, created_at, updated_at) VALUES ('/old/hats/straw-hat.jpg', '/old/hats', 'ab', "
        "10, 1, 4, 3, 'JPEG', 'a straw hat on a table', 'ok', 'then', 'then')"
    )
    conn.execute(  # a Chinese caption: searchable by word only from v7 (CJK bigrams)
        "INSERT INTO images(path, folder, sha256, size, mtime_ns, width, height, format, caption, "
        "status, created_at, updated_at) VALUES ('/old/dresses/d.jpg', '/old/dresses', 'cd', "
        "10, 1, 4, 3, 'JPEG', '红色连衣裙挂在衣架上', 'pending', 'then', 'then')"
    )
    vector = np.array([0.6, 0.8], dtype=np.float32).tobytes()
    conn.execute(
        "INSERT INTO embeddings(image_id, space, model, vector) VALUES (1, 'image', 'm:1', ?)",
        (vector,),
    )
    conn.execute("INSERT INTO meta VALUES ('model:image', 'm:1'), ('dim:image', '2')")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()

    code, out, err = _cli("status", "--json")
    assert code == EXIT_OK, err
    assert json.loads(out)["indexed"] == 1
    assert json.loads(out)["embedder_runtimes"] == {"unrecorded": 1}  # stored before v5
    with Store(home) as store:
        row = store.catalog.get(1)
        assert row is not None and row.caption == "a straw hat on a table"
        for word in ("straw", "hats"):
            found = store.words.search_words([word], [], ("model", "user"), Filters(), 5)
            assert [i for i, _s in found] == [1]
        assert store.words.document_frequency("连衣") == 1  # 连衣裙 (dress), as the index splits
        assert row.prompt is None and not row.ai_generated  # v9: no prompt read yet
        assert store.words.search_words(["straw"], [], ("prompt",), Filters(), 5) == []
    with checks.connect(home / "catalog.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert checks.problems(home / "catalog.db") == []

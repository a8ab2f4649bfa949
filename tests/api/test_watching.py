"""``serve --watch``: the server indexes what lands in a watched folder, and the library page
and its status show it (fake models)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from fastapi.testclient import TestClient

from picsift.app import create_app
from picsift.config import Settings
from tests.conftest import SAMPLES
from tests.fakes import FakeModels


def test_a_file_dropped_into_a_watched_folder_is_searchable(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "generated"
    folder.mkdir()
    shutil.copy(sorted(SAMPLES.glob("*.jpg"))[0], folder / "before.jpg")  # caught up at start
    watched = settings.model_copy(update={"watch": [folder], "watch_debounce": 0.3})
    with TestClient(create_app(watched, models=FakeModels())) as http:
        deadline = time.monotonic() + 20
        while not (http.get("/ui/status").json()["watch"] or {}).get("runs"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        shutil.copy(sorted(SAMPLES.glob("*.jpg"))[1], folder / "after.jpg")
        while http.get("/ui/status").json()["ok"] < 2:
            assert time.monotonic() < deadline, http.get("/ui/status").json()
            time.sleep(0.1)
        status = http.get("/ui/status").json()["watch"]
        assert status["folders"] == [str(folder)] and status["indexed"] == 2
        page = http.get("/ui").text
        assert 'id="watch-text"' in page and str(folder) in page
        hits = http.get("/search", params={"q": "red", "limit": 50}).json()["hits"]
        assert {Path(h["path"]).name for h in hits} <= {"before.jpg", "after.jpg"}


def test_without_watch_there_is_no_watcher(settings: Settings) -> None:
    with TestClient(create_app(settings, models=FakeModels())) as http:
        assert http.get("/ui/status").json()["watch"] is None
        assert 'id="watch-text"' not in http.get("/ui").text

"""``kill -9`` of a real server in the middle of an edit job: after a restart the job reads
``interrupted``, nothing half-written is left, and the job runs again to the end."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.api.test_server import _free_port, _wait_healthy
from tests.processes import stop

pytestmark = pytest.mark.skipif(
    shutil.which("exiftool") is None,
    reason="marking variants needs exiftool (.ci/run installs libimage-exiftool-perl)",
)


def _serve(port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "picsift", "serve", "--port", str(port), "-m", "tiny"]
    with log.open("ab") as sink:
        return subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)


def _consistent(home: Path) -> tuple[set[str], set[str]]:
    """(files under variants/, paths of linked variants)."""
    files = {str(p) for p in (home / "variants").rglob("*") if p.is_file() and p.name != ".lock"}
    with sqlite3.connect(home / "catalog.db") as db:
        linked = {
            str(r[0])
            for r in db.execute("SELECT i.path FROM variants v JOIN images i ON i.id = v.image_id")
        }
    return files, linked


@pytest.mark.usefixtures("tiny_env")
def test_kill_9_mid_job_then_restart_reads_interrupted_and_retries(
    photos: Path, tmp_path: Path
) -> None:
    home = Path(os.environ["PICSIFT_HOME"])
    indexed = subprocess.run(
        [sys.executable, "-m", "picsift", "index", str(photos), "-m", "tiny"],
        capture_output=True,
        timeout=300,
    )
    assert indexed.returncode == 0, indexed.stderr
    port, log = _free_port(), tmp_path / "server.log"
    url = f"http://127.0.0.1:{port}"
    server = _serve(port, log)
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=60) as http:
            _wait_healthy(http, server, log)
            ids = list(range(1, 21))
            started = http.post("/edit", json={"image_ids": ids, "instruction": "at night"})
            assert started.status_code == 202, started.text
            job = started.json()["job"]
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:  # kill once a variant is being written
                if any(p.suffix == ".png" for p in (home / "variants").rglob("*")):
                    break
                time.sleep(0.005)
            server.send_signal(signal.SIGKILL)
            server.wait()
    finally:
        stop(server)

    server = _serve(port, log)
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=60) as http:
            _wait_healthy(http, server, log)
            after = http.get(f"/edit/{job}").json()
            assert after["status"] == "interrupted", after
            files, linked = _consistent(home)
            assert files == linked  # the restart swept what the kill left
            again = http.post(f"/edit/{job}/retry")
            assert again.status_code == 202, again.text
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                done = http.get(f"/edit/{job}").json()
                if done["status"] not in ("queued", "running"):
                    break
                time.sleep(0.2)
            assert done["status"] == "done" and len(done["variant_ids"]) == len(ids), done
            files, linked = _consistent(home)
            assert files == linked and len(linked) >= len(ids)
    finally:
        stop(server)

"""One real server: ``picsift serve`` under uvicorn on 127.0.0.1, the tiny preset, real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import stop

STARTUP_SECONDS = 90


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(http: httpx.Client, server: subprocess.Popen[bytes], log: Path) -> dict:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"server exited with {server.returncode}:\n{log.read_text()}")
        try:
            response = http.get("/health")
            if response.status_code == 200:
                return dict(response.json())
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server not healthy after {STARTUP_SECONDS}s:\n{log.read_text()}")


@pytest.mark.usefixtures("tiny_env")
def test_serve_answers_health_and_search_over_http(photos: Path, tmp_path: Path) -> None:
    picsift = [sys.executable, "-m", "picsift"]
    env = dict(os.environ)  # PICSIFT_HOME / PICSIFT_MODELS_DIR from the fixtures, offline
    indexed = subprocess.run(
        [*picsift, "index", str(photos), "-m", "tiny", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert indexed.returncode == 0, indexed.stderr
    count = json.loads(indexed.stdout)["indexed"]

    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [*picsift, "serve", "--port", str(port), "--models", "tiny"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        # trust_env=False: no proxy settings from the environment, only 127.0.0.1.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=60) as http:
            health = _wait_healthy(http, server, log)
            assert health == {
                "status": "ok",
                "images": count,
                "preset": "tiny",
                "models_loaded": True,
            }
            page = http.get("/search", params={"q": "a red dress", "limit": 5})
            assert page.status_code == 200, page.text
            body = page.json()
            assert body["meaningless"] is True and 1 <= len(body["hits"]) <= 5
            assert all(Path(hit["path"]).parent == photos for hit in body["hits"])
            assert http.get("/search", params={"q": "x", "limit": 0}).status_code == 422
    finally:
        stop(server)
    output = log.read_text()
    assert f"on http://127.0.0.1:{port}" in output and "not a loopback" not in output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("nas", False)],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    from picsift.cli.serve import _is_loopback

    assert _is_loopback(host) is loopback


def test_serve_with_an_unknown_preset_stops_before_listening() -> None:
    from typer.testing import CliRunner

    from picsift.cli import app

    result = CliRunner().invoke(app, ["serve", "--models", "nope", "--port", str(_free_port())])
    assert result.exit_code == 2 and "unknown preset 'nope'" in result.stderr

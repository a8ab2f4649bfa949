"""A real server and a real browser for the web UI tests.

``LiveServer`` runs the CLI (``index``, ``cluster``, ``serve``) in subprocesses against its own
home, on a free loopback port. ``Browser`` drives Debian's Chromium through Playwright (never
Playwright's own browser download) and saves screenshots at desktop and phone widths.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.processes import stop

CHROMIUM = os.environ.get("PICSIFT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = (1280, 390)
STARTUP_SECONDS = 90


def chromium_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need playwright (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    def __init__(self, home: Path, models_dir: Path, log: Path, **env: str) -> None:
        self.home = home
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, PICSIFT_HOME=str(home), PICSIFT_MODELS_DIR=str(models_dir))
        self.env.pop("PICSIFT_API_KEY", None)  # the browser tests use the open server
        self.env.update(env)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "picsift", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"picsift {' '.join(args)}: {done.stderr}"
        return done.stdout

    @contextlib.contextmanager
    def running(self) -> Iterator[LiveServer]:
        command = [sys.executable, "-m", "picsift", "serve", "--port", str(self.port), "-m", "tiny"]
        with self.log.open("wb") as sink:
            server = subprocess.Popen(command, env=self.env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            self._wait(server)
            yield self
        finally:
            stop(server)

    def _wait(self, server: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        with httpx.Client(base_url=self.url, trust_env=False, timeout=5) as http:
            while time.monotonic() < deadline:
                if server.poll() is not None:
                    raise AssertionError(f"server exited:\n{self.log.read_text()}")
                with contextlib.suppress(httpx.TransportError):
                    if http.get("/health").status_code == 200:
                        return
                time.sleep(0.2)
        raise AssertionError(f"server not healthy in {STARTUP_SECONDS}s:\n{self.log.read_text()}")

    def get(self, path: str, **params: Any) -> Any:
        with httpx.Client(base_url=self.url, trust_env=False, timeout=30) as http:
            response = http.get(path, params=params)
            response.raise_for_status()
            return response.json()


class Browser:
    """One headless Chromium; ``page()`` opens a fresh desktop-width page on the server."""

    def __init__(self, playwright: Any, browser: Any, base_url: str, shots: Path) -> None:
        self._playwright = playwright
        self._browser = browser
        self.base_url = base_url
        self.shots = shots

    @classmethod
    @contextlib.contextmanager
    def launch(cls, executable: str, base_url: str, shots: Path) -> Iterator[Browser]:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield cls(playwright, browser, base_url, shots)
            finally:
                browser.close()

    def page(self, width: int = WIDTHS[0]) -> Any:
        context = self._browser.new_context(
            base_url=self.base_url, viewport={"width": width, "height": 900}
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    def shoot(self, page: Any, name: str) -> None:
        """Full-page screenshots at every width in WIDTHS, back at the first one after."""
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(100)  # let the layout (and the map's resize) settle
            page.screenshot(path=str(self.shots / f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.wait_for_timeout(100)

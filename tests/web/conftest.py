"""Web UI fixtures: in-process apps over a fake-model store (page tests), and a real
``picsift serve`` over a tiny-preset store of the sample photos plus headless Chromium
(browser tests, marked ``browser``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from picsift.cluster.service import CategoryService
from picsift.config import Settings
from picsift.store import Store
from tests.api.conftest import client, indexed, make_client, settings  # noqa: F401  (shared)
from tests.conftest import REPO, SAMPLES
from tests.fakes import FakeModels
from tests.web.live import CHROMIUM, Browser, LiveServer, chromium_missing

ARTIFACTS = Path(os.environ.get("PICSIFT_TEST_ARTIFACTS", REPO / "tests-artifacts")) / "screens"


@pytest.fixture
def clustered(settings: Settings, indexed: Path) -> Path:  # noqa: F811
    """The fake-model store, grouped into categories (small ones, so there are several)."""
    with Store(settings.home) as store:
        CategoryService(store, FakeModels(), settings).cluster(
            "images", min_cluster_size=2, min_samples=1
        )
    return indexed


@pytest.fixture(scope="package")
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """``picsift serve`` (tiny preset) over the 20 sample photos, indexed and clustered by the
    CLI, once for all browser tests."""
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    tiny_models_dir: Path = request.getfixturevalue("tiny_models_dir")  # only when needed
    root = tmp_path_factory.mktemp("web-live")
    photos = root / "photos"
    shutil.copytree(SAMPLES, photos, ignore=shutil.ignore_patterns("*.csv", "*.md"))
    server = LiveServer(root / "home", tiny_models_dir, root / "server.log")
    server.cli("index", str(photos), "-m", "tiny")
    server.cli("cluster", "-m", "tiny", "--min-size", "2", "--min-samples", "1")
    with server.running():
        yield server


@pytest.fixture(scope="package")
def browser(live: LiveServer) -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with Browser.launch(CHROMIUM, live.url, ARTIFACTS) as b:
        yield b

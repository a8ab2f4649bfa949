"""Shared fixtures. Every test runs offline against a temporary PICSIFT_HOME."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# No test may reach the network: the hub client refuses, and picsift's own switch is off.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["PICSIFT_ALLOW_DOWNLOAD"] = "0"

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "data" / "samples"
CLOTHING = REPO.parent / "shared" / "datasets" / "clothing"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("PICSIFT_HOME", str(home))
    monkeypatch.delenv("PICSIFT_MODELS_DIR", raising=False)
    monkeypatch.delenv("PICSIFT_PRESET", raising=False)
    return home


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny models, built once per session through the product's own builder."""
    from picsift.models.tiny import build_tiny

    folder = tmp_path_factory.mktemp("models")
    for name in ("tiny-clip", "tiny-florence-2"):
        build_tiny(name, folder / f"picsift--{name}")
    return folder


@pytest.fixture
def tiny_env(tiny_models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the product at the prebuilt tiny models (as a user would with PICSIFT_MODELS_DIR)."""
    monkeypatch.setenv("PICSIFT_MODELS_DIR", str(tiny_models_dir))
    return tiny_models_dir


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """A private copy of the bundled sample photos (tests may modify it)."""
    target = tmp_path / "photos"
    shutil.copytree(SAMPLES, target, ignore=shutil.ignore_patterns("*.csv", "*.md"))
    return target


@pytest.fixture
def clothing() -> Iterator[Path]:
    if not (CLOTHING / "images").is_dir():
        pytest.skip("needs ../shared/datasets/clothing (present in CI, absent in a plain clone)")
    yield CLOTHING

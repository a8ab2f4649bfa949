"""The real-weights tier: run with ``./scripts/test -m real_weights`` on a machine that has the
default preset's weights (``picsift models pull default``); elsewhere every test skips and
says how to get them. Never downloads: the suite's offline switches stay on.

The models folder is read from the environment as it was before the suite isolated
``PICSIFT_HOME`` for each test, so weights pulled into a user's own store are found.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from picsift.config import Settings
from picsift.errors import ModelUnavailableError
from picsift.models import PresetCatalog
from picsift.models.presets import Preset
from picsift.models.provider import ModelProvider

PRESET = os.environ.get("PICSIFT_REAL_WEIGHTS_PRESET", "default")  # another preset to check
# Read at import, before the autouse fixture points PICSIFT_HOME at a temporary folder.
MODELS_DIR = Path(os.environ.get("PICSIFT_MODELS_DIR") or Settings().resolved_models_dir)


@pytest.fixture(scope="session")
def preset() -> Preset:
    return PresetCatalog().preset(PRESET)


@pytest.fixture
def real_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("PICSIFT_MODELS_DIR", str(MODELS_DIR))
    return Settings(home=tmp_path / "home", models_dir=MODELS_DIR, allow_download=False)


@pytest.fixture
def real_models(real_settings: Settings, preset: Preset) -> Iterator[ModelProvider]:
    """The default preset's models, or a skip naming what is missing and how to get it."""
    provider = ModelProvider(real_settings, preset)
    specs = [preset.embedder, preset.captioner]
    if preset.text_embedder is not None:
        specs.append(preset.text_embedder)
    for spec in specs:
        try:
            provider.folder(spec)
        except ModelUnavailableError as exc:
            pytest.skip(
                f"real_weights: the '{PRESET}' preset's weights are not on this machine "
                f"(looked in {MODELS_DIR} and the Hugging Face cache). Run `picsift models "
                f"pull {PRESET}` once with network, then `./scripts/test -m real_weights`. "
                f"Detail: {exc}"
            )
    yield provider

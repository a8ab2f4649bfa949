"""Weights resolution: never downloads in tests, and says exactly where it looked."""

from __future__ import annotations

from pathlib import Path

import pytest

from picsift.config import Settings
from picsift.errors import ModelUnavailableError
from picsift.models import PresetCatalog, locate


def test_missing_weights_name_the_model_the_places_and_the_fix(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, allow_download=False)
    spec = PresetCatalog().preset("default").embedder
    with pytest.raises(ModelUnavailableError) as info:
        locate.resolve(spec, settings)
    msg = str(info.value)
    assert "clip-vit-b-32" in msg and spec.repo in msg
    assert str(tmp_path / "models" / spec.folder_name) in msg
    assert "picsift models pull" in msg and "--models tiny" in msg


def test_offline_hub_refuses_even_when_downloads_allowed(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, allow_download=True)
    spec = PresetCatalog().preset("default").captioner
    with pytest.raises(ModelUnavailableError, match="HF_HUB_OFFLINE"):
        locate.resolve(spec, settings)


def test_incomplete_folder_does_not_count(tmp_path: Path) -> None:
    spec = PresetCatalog().preset("default").embedder
    folder = tmp_path / "models" / spec.folder_name
    folder.mkdir(parents=True)
    (folder / "open_clip_config.json").write_text("{}")
    assert not locate.is_complete(folder, spec)
    (folder / "open_clip_model.safetensors").write_bytes(b"")
    assert locate.is_complete(folder, spec)


def test_build_models_are_built_into_the_models_dir(tmp_path: Path) -> None:
    spec = PresetCatalog().model("tiny-clip")
    built: list[tuple[str, Path]] = []

    def builder(name: str, target: Path) -> Path:
        built.append((name, target))
        return target

    folder = locate.resolve(spec, Settings(home=tmp_path), builder)
    assert built == [("tiny-clip", tmp_path / "models" / "picsift--tiny-clip")]
    assert folder == built[0][1]

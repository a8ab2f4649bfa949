"""A store remembers its preset: later commands use it unless told otherwise, and a preset
with another image model is refused with one message wherever the store is opened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from picsift.cli import app
from picsift.config import Settings
from picsift.errors import ModelMismatchError
from picsift.library.models import choose_preset, indexed_with
from picsift.models.presets import PresetCatalog
from picsift.store import IMAGE_SPACE, Store
from picsift.store.binding import PRESET_KEY, check_compatible

runner = CliRunner()


def _invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.usefixtures("tiny_env")
def test_commands_after_index_use_the_store_preset(photos: Path) -> None:
    assert _invoke("index", str(photos), "--models", "tiny", "--json").exit_code == 0
    page = _invoke("search", "a red dress", "--json")  # no --models: the store's tiny
    assert page.exit_code == 0, page.output
    assert json.loads(page.stdout)["hits"]
    assert "preset 'tiny' has random weights" in page.stderr
    again = _invoke("index", str(photos), "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["unchanged"] > 0


@pytest.mark.usefixtures("tiny_env")
def test_another_preset_given_explicitly_is_refused(photos: Path) -> None:
    assert _invoke("index", str(photos), "--models", "tiny", "--json").exit_code == 0
    for command in (["search", "a red dress"], ["index", str(photos)]):
        result = _invoke(*command, "--models", "default")
        assert result.exit_code == 2
        assert "was indexed with open_clip:picsift/tiny-clip" in result.stderr
        assert "Leave out --models to use the store's own preset" in result.stderr


def test_choice_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(home=tmp_path)
    with Store.open(settings) as store:
        assert choose_preset(settings, None, store).name == "default"  # empty store
        store.catalog.set_meta(PRESET_KEY, "tiny")
        assert choose_preset(settings, None, store).name == "tiny"  # the store's
        assert choose_preset(settings, "blip", store).name == "blip"  # --models wins
        monkeypatch.setenv("PICSIFT_PRESET", "git")
        assert choose_preset(Settings(home=tmp_path), None, store).name == "git"  # so does env


def test_older_stores_are_matched_by_their_image_model(tmp_path: Path) -> None:
    presets = PresetCatalog()
    with Store.open(Settings(home=tmp_path)) as store:
        assert indexed_with(store, presets) is None
        store.catalog.bind_model(IMAGE_SPACE, presets.preset("tiny").embedder.model_id, 8)
        assert indexed_with(store, presets) == "tiny"


def test_an_empty_store_takes_any_model(tmp_path: Path) -> None:
    presets = PresetCatalog()
    with Store.open(Settings(home=tmp_path)) as store:
        store.catalog.bind_model(IMAGE_SPACE, "open_clip:someone/else", 8)
        tiny = presets.preset("tiny")
        check_compatible(store, "tiny", tiny.embedder.model_id)  # no vectors: nothing to mix


def test_mismatch_message_is_one_sentence_naming_both_models(tmp_path: Path) -> None:
    import numpy as np

    from tests.store.fill import fill_vectors

    presets = PresetCatalog()
    with Store.open(Settings(home=tmp_path)) as store:
        fill_vectors(store, [1, 2, 3], np.eye(3, 8, dtype=np.float32), "open_clip:someone/else")
        with pytest.raises(ModelMismatchError) as info:
            check_compatible(store, "tiny", presets.preset("tiny").embedder.model_id)
    message = str(info.value)
    assert "was indexed with open_clip:someone/else, not open_clip:picsift/tiny-clip" in message

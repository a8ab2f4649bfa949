"""Presets are data: the packaged file parses, and a user file adds models without code."""

from __future__ import annotations

from pathlib import Path

import pytest

from picsift.errors import PresetError
from picsift.models import PresetCatalog


def test_packaged_presets() -> None:
    cat = PresetCatalog()
    default = cat.preset("default")
    assert default.embedder.repo == "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"
    assert default.embedder.pretrained == "laion2b_s34b_b79k" and default.embedder.dim == 512
    assert default.captioner.repo == "florence-community/Florence-2-base"
    assert default.captioner.options["prompt"] == "<MORE_DETAILED_CAPTION>"
    assert {"blip", "git", "tiny"} <= set(cat.names())
    assert cat.preset("tiny").meaningless and not default.meaningless
    for name in cat.names():
        cat.preset(name)  # every preset resolves


def test_user_file_adds_a_preset(tmp_path: Path) -> None:
    user = tmp_path / "presets.toml"
    user.write_text(
        '[models.my-blip]\nkind = "captioner"\nbackend = "transformers"\n'
        'repo = "someone/blip-large"\n[models.my-blip.options]\n'
        'model_class = "BlipForConditionalGeneration"\n'
        '[presets.mine]\nembedder = "clip-vit-b-32"\ncaptioner = "my-blip"\n'
    )
    preset = PresetCatalog(user).preset("mine")
    assert preset.captioner.repo == "someone/blip-large"


def test_unknown_names_are_clear(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="unknown preset 'nope'; choose one of"):
        PresetCatalog().preset("nope")
    bad = tmp_path / "presets.toml"
    bad.write_text('[models.x]\nkind = "embedder"\nbackend = "open_clip"\nrepo = "a/b"\nfoo = 1\n')
    with pytest.raises(PresetError, match="unknown fields"):
        PresetCatalog(bad)


def test_models_list_shows_licences_and_pull_covers_every_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from picsift.cli import app

    monkeypatch.setenv("PICSIFT_MODELS_DIR", str(tmp_path / "models"))
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0, listed.output
    default = next(line for line in listed.stdout.splitlines() if " default " in line)
    assert "MIT" in default and "Apache-2.0" in default  # CLIP, Florence-2; MiniLM, depth
    assert "CreativeML-OpenRAIL-M" in default  # Stable Diffusion 1.5, ControlNet (edits)
    pulled = runner.invoke(app, ["models", "pull", "tiny"])
    assert pulled.exit_code == 0, pulled.output
    assert "tiny-depth:" in pulled.stdout and "minilm-l6:" in pulled.stdout
    assert (tmp_path / "models" / "picsift--tiny-depth" / "config.json").is_file()
    assert "tiny-lcm" not in pulled.stdout  # edit models only when asked for
    with_edits = runner.invoke(app, ["models", "pull", "tiny", "--edit"])
    assert with_edits.exit_code == 0, with_edits.output
    for name in ("tiny-controlnet-sd15", "tiny-controlnet-depth", "tiny-instruct-pix2pix"):
        assert f"{name}:" in with_edits.stdout
    assert (tmp_path / "models" / "picsift--tiny-lcm" / "model_index.json").is_file()

"""Many real photos from ../shared/datasets/clothing (skipped where that set is absent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from picsift.cli import app

runner = CliRunner()


@pytest.mark.slow
@pytest.mark.usefixtures("tiny_env")
def test_index_a_few_hundred_real_photos_then_rerun_in_seconds(
    clothing: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "clothing"
    folder.mkdir()
    for name in sorted(os.listdir(clothing / "images"))[:300]:
        (folder / name).symlink_to(clothing / "images" / name)
    first = runner.invoke(app, ["index", str(folder), "-m", "tiny", "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["indexed"] == 300
    assert summary["stage_seconds"]["caption"] > 0 and "categories" in summary["stage_seconds"]
    second = json.loads(runner.invoke(app, ["index", str(folder), "-m", "tiny", "--json"]).stdout)
    assert second["indexed"] == 0 and second["unchanged"] == 300
    assert second["model_seconds"] == 0
    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    assert status["indexed"] == status["vectors"] == status["index_vectors"] == 300
    assert status["index_in_sync"]

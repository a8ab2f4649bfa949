"""``picsift edit`` end to end with the tiny preset: a variant on the sample photos, marked
(read back with exiftool), and a library left consistent by ``kill -9`` mid-edit."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from picsift.cli import app
from picsift.metadata.exiftool import ExifTool

pytestmark = [
    pytest.mark.usefixtures("tiny_env"),
    pytest.mark.skipif(
        shutil.which("exiftool") is None,
        reason="marking variants needs exiftool (.ci/run installs libimage-exiftool-perl)",
    ),
]
runner = CliRunner()


def _edit(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["edit", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_edit_a_sample_photo_makes_a_linked_marked_variant(photos: Path) -> None:
    photo = sorted(photos.glob("*.jpg"))[0]
    before = photo.read_bytes()
    code, out, err = _edit(str(photo), "at night", "--models", "tiny", "--json")
    assert code == 0, err
    (item,) = json.loads(out)
    assert item["original_id"] == 1 and item["variant_id"] == 2
    (chosen,) = item["candidates"]
    assert chosen["chosen"] and chosen["structure"] is not None and chosen["effect"] is not None
    assert item["meaningless"] and "meaningless" in err
    variant = Path(item["variant_path"])
    assert variant.parent == Path(os.environ["PICSIFT_HOME"]) / "variants" / "1"
    marks = ExifTool().read(variant, "XMP:all")
    assert marks["XMP-iptcExt:DigitalSourceType"].endswith("compositeWithTrainedAlgorithmicMedia")
    assert marks["XMP-dc:Description"].startswith("at night")
    assert photo.read_bytes() == before  # the original is never modified

    found = runner.invoke(app, ["search", "dress", "-m", "tiny", "--json", "--limit", "50"])
    assert 2 not in {h["id"] for h in json.loads(found.stdout)["hits"]}
    found = runner.invoke(
        app, ["search", "dress", "-m", "tiny", "--json", "--limit", "50", "--variants", "only"]
    )
    assert {h["id"] for h in json.loads(found.stdout)["hits"]} == {2}


def test_edit_prints_every_candidates_scores(photos: Path) -> None:
    photo = sorted(photos.glob("*.jpg"))[1]
    code, out, _ = _edit(str(photo), "at night", "-m", "tiny", "--candidates", "2", "--seed", "4")
    assert code == 0
    assert "seed 4: structure" in out and "seed 5: structure" in out and "effect" in out
    assert "variant 2 of image 1" in out


def test_bad_edits_name_the_problem_and_exit_2(photos: Path) -> None:
    photo = str(sorted(photos.glob("*.jpg"))[0])
    assert runner.invoke(app, ["index", str(photos), "-m", "tiny"]).exit_code == 0
    for args, words in (
        ([photo, ""], "instruction is empty"),
        ([photo, "at night", "--method", "oil"], "unknown edit method 'oil'"),
        (["9999", "at night"], "no image with id 9999"),
        ([str(photos / "none.jpg"), "at night"], "no such file"),
        (["at night"], "give either IMAGE"),
    ):
        code, _, err = _edit(*args)
        assert code == 2 and words in err, (args, err)
    assert not (Path(os.environ["PICSIFT_HOME"]) / "variants").exists() or not any(
        (Path(os.environ["PICSIFT_HOME"]) / "variants").rglob("*.png")
    )


def test_a_series_over_a_search(photos: Path) -> None:
    assert runner.invoke(app, ["index", str(photos), "-m", "tiny"]).exit_code == 0
    code, out, err = _edit("in winter", "--search", "dress", "--limit", "3", "-m", "tiny", "--json")
    assert code == 0, err
    items = json.loads(out)
    assert len(items) == 3 and all(i["variant_id"] for i in items)
    assert {i["seed"] for i in items} == {0}
    assert len({i["original_id"] for i in items}) == 3


def _state(home: Path) -> tuple[set[str], set[str], int]:
    """(variant files, linked variant paths, images rows under variants/)."""
    folder = home / "variants"
    files = {str(p) for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}
    with sqlite3.connect(home / "catalog.db") as db:
        linked = {
            r[0]
            for r in db.execute("SELECT i.path FROM variants v JOIN images i ON i.id = v.image_id")
        }
        rows = db.execute(
            "SELECT count(*) FROM images WHERE path LIKE ?", (f"{folder}/%",)
        ).fetchone()[0]
    return files, linked, int(rows)


def test_kill_9_mid_edit_leaves_no_stray_file_and_the_next_edit_tidies(photos: Path) -> None:
    home = Path(os.environ["PICSIFT_HOME"])
    photo = str(sorted(photos.glob("*.jpg"))[2])
    assert runner.invoke(app, ["index", str(photos), "-m", "tiny"]).exit_code == 0
    command = [sys.executable, "-m", "picsift", "edit", photo, "at night", "-m", "tiny"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    try:  # kill it as soon as the variant's first byte is on disk
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.suffix == ".png" for p in (home / "variants").rglob("*")):
                break
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    files, linked, rows = _state(home)
    assert linked <= files and rows >= len(linked)
    code, _, err = _edit(photo, "at night", "-m", "tiny")
    assert code == 0, err
    files, linked, rows = _state(home)
    assert files == linked and rows == len(linked) >= 1  # nothing stray, nothing half-linked

"""The CLI end to end on real photos, with the tiny preset loaded through the real code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from picsift.cli import app

runner = CliRunner()


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.usefixtures("tiny_env")
def test_index_status_search_round_trip(photos: Path) -> None:
    n = len(list(photos.glob("*.jpg")))
    first = _invoke("index", str(photos), "--models", "tiny", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["indexed"] == n
    assert "meaningless" in first.stderr

    again = _invoke("index", str(photos), "--models", "tiny", "--json")
    summary = json.loads(again.stdout)
    assert (summary["indexed"], summary["unchanged"]) == (0, n)

    status = json.loads(_invoke("status", "--json").stdout)
    assert status["indexed"] == n and status["vectors"] == n and status["index_vectors"] == n
    assert status["index_in_sync"] and status["embedder"] == "open_clip:picsift/tiny-clip"

    page = _invoke("search", "a red dress", "--models", "tiny", "--json")
    hits = json.loads(page.stdout)["hits"]
    assert 1 <= len(hits) <= 10 and all(Path(h["path"]).parent == photos for h in hits)
    by_image = _invoke("search", "--image", str(next(photos.glob("*.jpg"))), "-m", "tiny", "--json")
    top = json.loads(by_image.stdout)["hits"][0]
    assert (
        top["path"] == str(next(photos.glob("*.jpg"))) and top["channels"]["clip"]["score"] > 0.99
    )


@pytest.mark.usefixtures("tiny_env")
def test_describe_prints_one_paragraph_per_image_and_names_bad_files(
    photos: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("hello")
    good = sorted(photos.glob("*.jpg"))[:2]
    result = _invoke("describe", *map(str, good), str(bad), "-m", "tiny", "--format", "json")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["source"] for d in lines] == [*map(str, good), str(bad)]
    assert all(isinstance(d["caption"], str) and d["meaningless"] for d in lines[:2])
    assert "plain text" in lines[2]["error"]
    assert not (tmp_path / "home" / "catalog.db").exists()  # describe never touches the store


def test_missing_weights_stop_with_one_clear_message(photos: Path) -> None:
    result = _invoke("index", str(photos))
    assert result.exit_code == 2
    assert "clip-vit-b-32" in result.stderr and "picsift models pull" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_preset_and_bad_arguments() -> None:
    assert "unknown preset 'nope'" in _invoke("index", ".", "-m", "nope").stderr
    assert _invoke("search").exit_code == 2
    assert _invoke("describe", "x.jpg", "--format", "yaml").exit_code == 2


@pytest.mark.usefixtures("tiny_env")
def test_demo_runs_offline_on_the_sample_photos() -> None:
    result = _invoke("demo")
    assert result.exit_code == 0, result.output
    assert "tiny" in result.stderr and "meaningless" in result.stderr
    assert "indexed 20 sample photos" in result.stdout
    assert "search:" in result.stdout


@pytest.mark.usefixtures("tiny_env")
def test_cluster_the_sample_photos_with_the_tiny_preset(photos: Path) -> None:
    assert _invoke("index", str(photos), "-m", "tiny").exit_code == 0
    result = _invoke("cluster", "-m", "tiny", "--min-size", "2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["images"] == 20 and report["categories"] + report["unsorted"] >= 1
    listing = json.loads(_invoke("categories", "--json").stdout)
    sizes = sum(c["size"] for c in listing["categories"] if not c["is_parent"])
    assert sizes + listing["unsorted"] == 20
    again = json.loads(_invoke("cluster", "-m", "tiny", "--min-size", "2", "--json").stdout)
    assert again["born"] == [] and again["died"] == []  # same data, same ids


@pytest.mark.usefixtures("tiny_env")
def test_describe_reshapes_by_template_and_facets_live_and_stored(
    photos: Path, tmp_path: Path
) -> None:
    photo = str(sorted(photos.glob("*.jpg"))[0])
    live = _invoke(
        "describe", photo, "-m", "tiny", "--template", "json", "--facets", "colours,tags"
    )
    assert live.exit_code == 0, live.output
    facets = json.loads(live.stdout.split("\n", 1)[1])
    assert facets["caption"] is None and facets["colours"]["palette"]  # no caption asked
    assert facets["composition"] is None and isinstance(facets["tags"], list)
    alt = _invoke("describe", photo, "-m", "tiny", "--template", "alt")
    assert len(alt.stdout.splitlines()[1]) <= 125

    assert _invoke("index", str(photos), "-m", "tiny").exit_code == 0
    stray = tmp_path / "stray.jpg"
    stray.write_bytes(Path(photo).read_bytes())
    stored = _invoke(
        "describe",
        "--stored",
        photo,
        str(stray),
        "-m",
        "tiny",
        "--template",
        "json",
        "--format",
        "json",
    )
    assert stored.exit_code == 1  # one path is not indexed
    first, second = (json.loads(line) for line in stored.stdout.splitlines())
    rendered = json.loads(first["text"])
    assert rendered["colours"]["palette"] and rendered["composition"]["orientation"]
    assert first["facets"]["tags"] == rendered["tags"]
    assert "not in the store" in second["error"]

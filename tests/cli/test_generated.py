"""Generated files through the CLI with the tiny preset (numbers meaningless, mechanics
real): ``index`` stores prompts and generators, ``search --mismatch`` and ``show-prompt``
explain, the filters narrow, and ``export`` writes XMP, CSV and JSON lines."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from picsift.cli import app
from picsift.metadata.exiftool import ExifTool
from tests.generated_files import A1111_PROMPT, COMFY_PROMPT, XMP_PROMPT, write_all

pytestmark = [
    pytest.mark.usefixtures("tiny_env"),
    pytest.mark.skipif(
        shutil.which("exiftool") is None,
        reason="the XMP fixtures and export need exiftool (.ci/run installs it)",
    ),
]
runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture
def indexed(photos: Path) -> dict[str, Path]:
    files = write_all(Image.open(sorted(photos.glob("*.jpg"))[0]), photos / "generated")
    summary = json.loads(_run("index", str(photos), "-m", "tiny", "--json"))
    assert summary["prompts_checked"] == 4 and not summary["errors"]
    return files


def test_index_stores_prompts_mismatch_explains_filters_narrow(indexed: dict[str, Path]) -> None:
    page = json.loads(_run("search", "--mismatch", "--json", "--limit", "10"))
    assert page["total"] == 4
    prompts = {Path(i["path"]).name: i["prompt"] for i in page["items"]}
    assert prompts == {
        "a1111.png": A1111_PROMPT,
        "comfy.png": COMFY_PROMPT,
        "firefly.jpg": XMP_PROMPT,
        "firefly.webp": XMP_PROMPT,
    }
    generators = {Path(i["path"]).name: i["generator"] for i in page["items"]}
    assert (
        generators["a1111.png"] == "Automatic1111" and generators["firefly.jpg"] == "Adobe Firefly"
    )
    for item in page["items"]:  # the tiny preset: the checks ran, their verdicts mean nothing
        phrases = [p["phrase"] for p in item["agreement"]["phrases"]]
        assert phrases and all(
            isinstance(p["supported"], bool) for p in item["agreement"]["phrases"]
        )
    a1111 = next(i for i in page["items"] if i["path"].endswith("a1111.png"))
    assert "golden retriever" in [p["phrase"] for p in a1111["agreement"]["phrases"]]
    text = _run("show-prompt", str(a1111["id"]))
    assert "Automatic1111" in text and "negative: blurry, lowres" in text and "Seed: 1234" in text

    def names(*extra: str) -> set[str]:
        hits = json.loads(_run("search", "photo", "-m", "tiny", "--json", "--limit", "50", *extra))
        return {Path(h["path"]).name for h in hits["hits"]}

    assert names("--generator", "comfyui") <= {"comfy.png"}
    assert names("--generated").isdisjoint(names("--not-generated"))
    assert not names("--generated") - {"a1111.png", "comfy.png", "firefly.jpg", "firefly.webp"}


def test_export_xmp_sidecars_then_nothing_to_do(indexed: dict[str, Path]) -> None:
    folder = indexed["jpeg"].parent
    dry = _run("export", "xmp", str(folder), "--dry-run")
    assert dry.count("would change") == 4 and not list(folder.glob("*.xmp"))
    _run("export", "xmp", str(folder))
    sidecar = Path(f"{indexed['jpeg']}.xmp")
    got = ExifTool().read(sidecar, "XMP:all")
    assert got["XMP-dc:Description"] and got["XMP-iptcCore:AltTextAccessibility"]
    assert "existing keyword" in str(got["XMP-dc:Subject"])
    plain = ExifTool().read(Path(f"{indexed['a1111']}.xmp"), "XMP:all")  # no keywords of its own
    assert plain["XMP-dc:Subject"] and plain["XMP-iptcCore:AltTextAccessibility"]
    result = runner.invoke(app, ["export", "xmp", str(folder), "--json"])
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert statuses == ["unchanged"] * 4


def test_export_csv_and_jsonl(indexed: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "library.csv"
    _run("export", "csv", "--generated", "-o", str(target))
    with open(target, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and {r["prompt"] for r in rows} >= {A1111_PROMPT, COMFY_PROMPT}
    assert all(r["description"] and len(r["alt"]) <= 125 for r in rows)
    lines = _run("export", "jsonl", str(indexed["comfy"])).splitlines()
    (row,) = [json.loads(line) for line in lines]
    assert row["generator"] == "ComfyUI" and set(row) >= {"path", "tags", "category", "agreement"}


def test_bad_export_requests_name_the_problem(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "pdf"])
    assert result.exit_code == 2 and "use xmp, csv, jsonl" in result.stderr
    result = runner.invoke(app, ["export", "xmp", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no indexed picture there" in result.stderr
    result = runner.invoke(app, ["export", "xmp", "--style", "gimp"])
    assert result.exit_code == 2 and "sidecar style 'gimp'" in result.stderr
    result = runner.invoke(app, ["search", "dress", "--mismatch"])
    assert result.exit_code == 2 and "give no QUERY" in result.stderr

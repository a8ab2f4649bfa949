"""Caption metrics against hand-computed values, and `picsift eval captions` with its report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from picsift.cli import app
from picsift.eval import caption_metrics as cm
from picsift.resources import data_dir

REFS = {"a": ["a red dress on a hanger"], "b": ["two white sneakers on the floor"]}


@pytest.mark.parametrize("java", [False, pytest.param(True, id="java")])
def test_identical_captions_score_perfectly(java: bool) -> None:
    if java and not cm.java_available():
        pytest.skip("no Java: METEOR and the PTB tokenizer need it")
    got = cm.reference_metrics({k: v[0] for k, v in REFS.items()}, REFS, java=java)
    assert got["images"] == 2
    for n in range(1, 5):
        assert got[f"BLEU-{n}"] == pytest.approx(1.0, abs=1e-6)
    assert got["ROUGE-L"] == pytest.approx(1.0)
    # CIDEr-D: cosine 1 for every n, no length penalty, times 10
    assert got["CIDEr"] == pytest.approx(10.0, abs=1e-6)
    if java:
        assert got["METEOR"] > 0.9 and got["tokenizer"] == "ptb"
    else:
        assert got["METEOR"] is None and "Java" in got["note"]


def test_a_wrong_caption_scores_lower_by_hand() -> None:
    wrong = {"a": "a red dress on a hanger", "b": "a red dress on a hanger"}
    got = cm.reference_metrics(wrong, REFS, java=False)
    # BLEU-1 by hand: 12 candidate words; clipped matches 6 (image a) + 1 ("on", image b)
    assert got["BLEU-1"] == pytest.approx(7 / 12, abs=1e-6)
    assert got["CIDEr"] < 10.0 / 2 + 1e-6  # image b shares only "on", whose idf is 0


def test_reference_free_measures() -> None:
    unit = np.eye(2, dtype=np.float32)
    assert cm.clip_score(unit, unit) == pytest.approx(2.5)
    assert cm.clip_score(unit, -unit) == 0.0  # negative cosines are clipped, as in the paper
    stats = cm.text_stats(["A red dress.", "a red hat"])
    assert stats["mean_words"] == 3.0 and stats["vocabulary"] == 4
    assert stats["type_token_ratio"] == pytest.approx(4 / 6, abs=1e-3)
    assert stats["distinct_2"] == pytest.approx(3 / 4, abs=1e-3)
    agree = cm.agreement({"x": {"1": "a red dress"}, "y": {"1": "a red dress"}, "z": {"1": "cat"}})
    assert agree["x vs y"] == pytest.approx(1.0) and agree["x vs z"] == 0.0


@pytest.mark.usefixtures("tiny_env")
def test_eval_captions_writes_a_report_that_says_mechanics_only(tmp_path: Path) -> None:
    samples = data_dir() / "samples"
    with (samples / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))[:4]
    refs = tmp_path / "refs.jsonl"
    refs.write_text(
        "".join(
            json.dumps({"file": r["file"], "captions": [f"a photo of a {r['label']}"]}) + "\n"
            for r in rows
        )
        + json.dumps({"file": "missing.jpg", "caption": "gone"})
        + "\n"
    )
    report = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            *("eval", "captions", "--references", str(refs), "--images", str(samples)),
            *("-m", "tiny", "--report", str(report), "--json"),
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["images"] == 4 and body["skipped"][0].startswith("missing.jpg")
    run = body["runs"][0]
    assert run["preset"] == "tiny" and run["seconds_per_image"] > 0
    assert {"BLEU-4", "CIDEr", "ROUGE-L"} <= set(run["metrics"])
    markdown = (report / "captions.md").read_text()
    assert markdown.startswith("**These numbers measure mechanics only**")
    assert json.loads((report / "captions.json").read_text())["mechanics_only"] is True
    assert (report / "captions-metrics.png").stat().st_size > 1000


def test_bad_references_name_the_line(tmp_path: Path) -> None:
    refs = tmp_path / "refs.jsonl"
    refs.write_text('{"file": "a.jpg", "captions": ["x"]}\n{"captions": ["y"]}\n')
    result = CliRunner().invoke(
        app, ["eval", "captions", "--references", str(refs), "--images", str(tmp_path)]
    )
    assert result.exit_code == 2 and "refs.jsonl:2" in result.stderr

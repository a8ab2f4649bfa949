"""`picsift eval ocr`: accuracy against known text, with the edit distance checked by hand."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from picsift.cli import app
from picsift.eval.metrics import edit_distance, text_accuracy


def test_edit_distance_and_accuracy_by_hand() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], ["a"]) == 1
    assert text_accuracy(["GRAND H0TEL"], ["GRAND HOTEL"]) == 1 - 1 / 11
    assert text_accuracy(["GRAND H0TEL"], ["GRAND HOTEL"], "word") == 0.5
    assert text_accuracy(["completely wrong and longer"], ["ab"]) == 0.0  # floored


def test_eval_ocr_report(tmp_path: Path) -> None:
    texts = {"sign.png": "OPEN DAILY", "menu.png": "Fresh Coffee"}
    for name, text in texts.items():
        image = Image.new("RGB", (460, 120), "white")
        font = ImageFont.load_default(size=40)
        ImageDraw.Draw(image).text((20, 35), text, fill="black", font=font)
        image.save(tmp_path / name)
    refs = tmp_path / "text.jsonl"
    refs.write_text("".join(json.dumps({"file": f, "text": t}) + "\n" for f, t in texts.items()))
    result = CliRunner().invoke(
        app,
        [
            *("eval", "ocr", "--references", str(refs), "--images", str(tmp_path)),
            *("--report", str(tmp_path / "r"), "--json"),
        ],
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["images"] == 2 and scores["char_accuracy"] >= 0.9
    assert "char accuracy" in (tmp_path / "r" / "ocr.md").read_text()

"""Tag vocabularies: label files with their settings in the header, found without code."""

from __future__ import annotations

from pathlib import Path

import pytest

from picsift.describe.vocabularies import (
    DEFAULT_THRESHOLD,
    VocabularyError,
    find_vocabularies,
    parse_vocabulary,
)
from picsift.resources import data_dir

SHIPPED = data_dir() / "vocabularies"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_settings_come_from_the_header(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "shop",
        "#: threshold = 0.3   # stricter\n#: top = 2\n#: margin=0.01\n"
        "#: prompt = a product photo of a {}.\n#: prompt = {} for sale\n"
        "Red Dress\nred dress\n# a comment\nsneakers\n",
    )
    vocab = parse_vocabulary(path)
    assert vocab.name == "shop" and vocab.labels == ("red dress", "sneakers")
    assert (vocab.threshold, vocab.top, vocab.margin) == (0.3, 2, 0.01)
    assert vocab.templates == ("a product photo of a {}.", "{} for sale")
    assert vocab.tagging


def test_defaults_without_a_header(tmp_path: Path) -> None:
    vocab = parse_vocabulary(_write(tmp_path, "plain", "chair\ntable\n"))
    assert vocab.threshold == DEFAULT_THRESHOLD and len(vocab.templates) > 1


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("#: threshold = high", "must be a number"),
        ("#: threshold = 3", "must be in"),
        ("#: colour = red", "unknown setting 'colour'"),
        ("#: prompt = a photo", "exactly one '{}'"),
        ("#: tagging = maybe", "on or off"),
        ("#: top", "expected '#: key = value'"),
    ],
)
def test_bad_settings_name_the_file_and_line(tmp_path: Path, header: str, reason: str) -> None:
    path = _write(tmp_path, "bad", f"chair\n{header}\n")
    with pytest.raises(VocabularyError, match=reason) as info:
        parse_vocabulary(path)
    assert f"{path}:2" in str(info.value)


def test_empty_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="no labels"):
        parse_vocabulary(_write(tmp_path, "empty", "# nothing\n"))
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9\n")
    with pytest.raises(VocabularyError, match="cannot read"):
        parse_vocabulary(bad)


def test_user_vocabularies_add_and_override_shipped_ones(tmp_path: Path) -> None:
    user = tmp_path / "vocabularies"
    _write(user, "food", "#: top = 1\nramen\n")
    _write(user, "boats", "kayak\ncanoe\n")
    _write(user, "names-only", "#: tagging = off\nfoo\n")
    found = {v.name: v for v in find_vocabularies([SHIPPED, user])}
    assert found["food"].labels == ("ramen",)  # the user's file wins by name
    assert "boats" in found and "general" in found and "names-only" not in found
    chosen = find_vocabularies([SHIPPED, user], ["boats", "names-only"])
    assert [v.name for v in chosen] == ["boats", "names-only"]
    with pytest.raises(VocabularyError, match="no vocabulary named nope; available: "):
        find_vocabularies([SHIPPED, user], ["nope"])


def test_shipped_vocabularies_parse() -> None:
    found = {v.name: v for v in find_vocabularies([SHIPPED])}
    assert {"general", "hotel", "clothing", "food", "real-estate"} <= set(found)
    for vocab in found.values():
        assert len(vocab.labels) >= 40, vocab.name

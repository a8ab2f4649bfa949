"""Word lists of other languages: complete for every colour name and composition word the
facets produce, and used by the alt-ru / alt-de templates without code."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import get_args

import pytest
from PIL import Image, ImageDraw

from picsift.describe.facets import Description, compute_facets
from picsift.describe.i18n import Translations, shipped_i18n_dir
from picsift.describe.model import BlurLabel, Framing, Orientation
from picsift.describe.templates import TemplateError, TemplateRenderer
from picsift.resources import data_dir


def _colour_names() -> set[str]:
    lines = (data_dir() / "colours.csv").read_text("utf-8").splitlines()
    rows = csv.DictReader(line for line in lines if not line.startswith("#"))
    return {row["simple"] for row in rows}


FACET_WORDS = _colour_names() | set(get_args(Orientation) + get_args(Framing) + get_args(BlurLabel))


@pytest.mark.parametrize("language", ["ru", "de"])
def test_every_facet_word_has_a_translation(language: str) -> None:
    words = Translations()._words(language)
    missing = sorted(w for w in FACET_WORDS if w not in words)
    assert missing == []


def test_translate_keeps_unknown_words_and_refuses_unknown_languages(tmp_path: Path) -> None:
    tr = Translations()
    assert tr.translate("red", "ru") == "красный" and tr.translate("red", "de") == "rot"
    assert tr.translate("zeppelin", "de") == "zeppelin" and tr.translate(None, "de") == ""
    with pytest.raises(ValueError, match="no word list for language 'xx'"):
        tr.translate("red", "xx")
    with pytest.raises(ValueError, match="no word list"):
        tr.translate("red", "../etc")
    assert {"de", "ru"} <= set(Translations(shipped_i18n_dir()).languages())


@pytest.fixture(scope="module")
def description() -> Description:
    img = Image.new("RGB", (640, 480), "white")
    ImageDraw.Draw(img).rectangle([60, 100, 260, 400], fill=(20, 40, 160))
    return compute_facets(img, caption="a navy blue dress hanging on a white wall")


def test_templates_in_other_languages(description: Description) -> None:
    renderer = TemplateRenderer()
    ru = renderer.render("alt-ru", description)
    de = renderer.render("alt-de", description)
    orientation, framing = description.composition.orientation, description.composition.framing  # type: ignore[union-attr]
    assert ru.startswith(f"Изображение: {Translations().translate(orientation, 'ru')} формат")
    assert de.startswith(f"Bild im {Translations().translate(orientation, 'de')}")
    assert Translations().translate(framing, "de") in de
    assert "белый" in ru and "weiß" in de  # the white wall's colour name, translated
    assert "dress" not in ru + de  # the English caption is left out
    assert len(ru) <= 126 and len(de) <= 126


def test_a_user_template_naming_an_unknown_language_gets_a_template_error(
    tmp_path: Path, description: Description
) -> None:
    (tmp_path / "mine.j2").write_text("{{ 'red' | tr('tlh') }}")
    with pytest.raises(TemplateError, match="no word list for language 'tlh'"):
        TemplateRenderer(tmp_path).render("mine", description)

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from picsift.describe.facets import Description, compute_facets
from picsift.describe.facets.objects import with_objects
from picsift.describe.facets.tags import with_tags
from picsift.describe.model import Tag
from picsift.describe.templates import ALT_MAX_CHARS, TemplateError, TemplateRenderer, trim_to
from picsift.errors import PicsiftError
from picsift.models.base import Detection

SHIPPED = {"paragraph", "alt", "alt-ru", "alt-de", "tags", "seo", "markdown", "json"}


@pytest.fixture(scope="module")
def full() -> Description:
    img = Image.new("RGB", (640, 480), "white")
    ImageDraw.Draw(img).rectangle([60, 100, 260, 400], fill=(20, 40, 160))
    desc = compute_facets(img, caption="a navy blue dress hanging on a white wall")
    desc = with_tags(
        desc,
        [
            Tag(label="dress", vocabulary="clothing", score=0.31),
            Tag(label="clothing", vocabulary="general", score=0.29),
        ],
    )
    desc = with_objects(
        desc,
        [
            Detection("dress", (0.09, 0.2, 0.4, 0.83)),
            Detection("hanger", (0.1, 0.1, 0.3, 0.2)),
            Detection("hanger", (0.6, 0.1, 0.8, 0.2)),
        ],
    )
    return desc.model_copy(update={"text": "SALE"})


def _combinations(full: Description) -> list[Description]:
    fields = {
        "caption": full.caption,
        "colours": full.colours,
        "composition": full.composition,
        "tags": full.tags,
        "text": full.text,
        "objects": full.objects,
    }
    out = []
    for mask in itertools.product([False, True], repeat=len(fields)):
        values = {k: v for keep, (k, v) in zip(mask, fields.items(), strict=True) if keep}
        missing = {k: "not computed" for k in ("colours", "composition") if k not in values}
        if "objects" in values:
            values["object_counts"] = full.object_counts
        out.append(Description(**values, facets_missing=missing))  # type: ignore[arg-type]
    return out


def test_shipped_templates_are_found() -> None:
    assert set(TemplateRenderer().names()) == SHIPPED


def test_every_template_renders_every_facet_combination(full: Description) -> None:
    renderer = TemplateRenderer()
    for desc in _combinations(full):
        for name in SHIPPED:
            text = renderer.render(name, desc)
            assert isinstance(text, str)
            assert "None" not in text, (name, desc, text)
            assert "Undefined" not in text


def test_all_missing_renders_sensibly() -> None:
    renderer = TemplateRenderer()
    empty = Description()
    assert renderer.render("paragraph", empty)
    assert renderer.render("alt", empty)
    assert renderer.render("tags", empty) == ""
    assert json.loads(renderer.render("json", empty)) == empty.model_dump(mode="json")


def test_full_outputs(full: Description) -> None:
    renderer = TemplateRenderer()
    para = renderer.render("paragraph", full)
    assert "\n" not in para and para.startswith("A navy blue dress")
    assert "landscape" in para
    tags = renderer.render("tags", full).split(", ")
    assert tags[:2] == ["dress", "clothing"] and "white" in tags
    assert full.composition is not None and full.composition.framing in tags
    assert len(tags) == len({t.lower() for t in tags})
    assert json.loads(renderer.render("json", full)) == full.model_dump(mode="json")
    assert "SALE" in renderer.render("markdown", full)


def test_alt_is_at_most_125_characters(full: Description) -> None:
    renderer = TemplateRenderer()
    long = full.model_copy(update={"caption": "a very long caption " * 20})
    for desc in [*_combinations(full), long]:
        alt = renderer.render("alt", desc)
        assert 0 < len(alt) <= ALT_MAX_CHARS
        assert "\n" not in alt
    assert renderer.render("alt", long).endswith(".")
    # a caption that fits keeps its sentence; the colour sentence is dropped whole
    medium = full.model_copy(update={"caption": "word " * 22 + "end"})
    assert renderer.render("alt", medium).endswith("word end.")


def test_trim_to_cuts_at_a_word_boundary() -> None:
    assert trim_to("short text", 125) == "short text"
    cut = trim_to("alpha beta gamma delta", 15)
    assert cut == "alpha beta." and len(cut) <= 15
    assert trim_to("First sentence here. Second one is long.", 30) == "First sentence here."


def test_user_template_is_picked_up_and_overrides(tmp_path: Path, full: Description) -> None:
    (tmp_path / "shop.j2").write_text("{{ caption | sentence }} | {{ tags | join('/') }}")
    (tmp_path / "alt.j2").write_text("custom {{ caption | e }} " + "word " * 60)
    renderer = TemplateRenderer(tmp_path)
    assert "shop" in renderer.names() and set(renderer.names()) >= SHIPPED
    assert (
        renderer.render("shop", full)
        == "A navy blue dress hanging on a white wall. | dress/clothing\n"
    )
    alt = renderer.render("alt", full)
    assert alt.startswith("custom a navy") and len(alt) <= ALT_MAX_CHARS  # still trimmed
    assert TemplateRenderer().render("alt", full) != alt  # shipped one untouched


def test_html_escape_filter_is_available(tmp_path: Path) -> None:
    (tmp_path / "html.j2").write_text("<p>{{ caption | e }}</p> {{ caption }}")
    out = TemplateRenderer(tmp_path).render("html", Description(caption="a <b> & c"))
    assert out.strip() == "<p>a &lt;b&gt; &amp; c</p> a <b> & c"


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "broken.j2").write_text("line one\n{% if caption %}\nline three\n{{ caption \n")
    with pytest.raises(TemplateError) as info:
        TemplateRenderer(tmp_path).render("broken", Description(caption="x"))
    err = info.value
    assert isinstance(err, PicsiftError)
    assert "broken" in str(err) and str(tmp_path / "broken.j2") in str(err)
    assert err.line is not None and f"line {err.line}" in str(err)
    assert "Traceback" not in str(err)


def test_runtime_error_names_line(tmp_path: Path) -> None:
    (tmp_path / "bad.j2").write_text("ok\n{{ caption }}\n{{ colours.palette[0].name }}\n")
    with pytest.raises(TemplateError) as info:
        TemplateRenderer(tmp_path).render("bad", Description(caption="x"))
    assert info.value.line == 3
    assert "line 3" in str(info.value) and "bad.j2" in str(info.value)
    (tmp_path / "typo.j2").write_text("{{ captoin }}")
    with pytest.raises(TemplateError, match=r"line 1.*captoin"):
        TemplateRenderer(tmp_path).render("typo", Description())


def test_sandbox_blocks_unsafe_access(tmp_path: Path) -> None:
    (tmp_path / "evil.j2").write_text("{{ caption.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError):
        TemplateRenderer(tmp_path).render("evil", Description(caption="x"))


def test_unknown_template_is_a_clear_error() -> None:
    with pytest.raises(TemplateError, match=r"no such template.*paragraph"):
        TemplateRenderer().render("nope", Description())
    with pytest.raises(TemplateError, match="invalid"):
        TemplateRenderer().render("../secrets", Description())


def test_objects_are_counted_and_placed_in_the_paragraph(full: Description) -> None:
    text = TemplateRenderer().render("paragraph", full)
    assert "It shows two hangers and a dress on the left." in text
    assert full.composition is not None and full.composition.subject_source == "objects"
    tags = TemplateRenderer().render("tags", full).split(", ")
    assert tags[:4] == ["dress", "clothing", "hanger", "white"] or "hanger" in tags

"""Alt text from captions, and the page environment's escaping."""

from __future__ import annotations

from picsift.web.templating import ALT_CHARS, make_templates, short_alt


def test_short_alt_is_one_bounded_line() -> None:
    assert short_alt("  a red\n dress  ") == "a red dress"
    assert short_alt(None) == "Photo" and short_alt("", "x.jpg") == "x.jpg"
    long = short_alt("word " * 100)
    assert len(long) <= ALT_CHARS and long.endswith("…") and not long.endswith(" …")


def test_templates_escape_everything() -> None:
    env = make_templates().env
    assert env.autoescape is True
    html = env.from_string("<p>{{ x }}</p>").render(x="<img src=x onerror=alert(1)>")
    assert html == "<p>&lt;img src=x onerror=alert(1)&gt;</p>"

"""The Jinja2 environment of the pages: package templates, autoescape on, a few filters.

Built once per app (in :func:`picsift.web.install`), never at import, so there is no
module-level state.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates

ALT_CHARS = 125  # screen readers cut long alt text; the `alt` description template does too


def package_dir(name: str) -> Path:
    """A folder shipped inside the package (templates, static)."""
    return Path(str(files("picsift.web") / name))


def short_alt(text: str | None, fallback: str = "Photo") -> str:
    """Alt text from a caption: one line, at most ALT_CHARS characters, never empty."""
    words = " ".join((text or "").split())
    if not words:
        return fallback
    if len(words) <= ALT_CHARS:
        return words
    return words[: ALT_CHARS - 1].rsplit(" ", 1)[0] + "…"


def percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return ""


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(package_dir("templates"))),
        autoescape=True,  # every page: captions, names and paths come from users' files
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(short_alt=short_alt, percent=percent)
    return Jinja2Templates(env=env)

"""Render a description (:data:`~picsift.describe.facets.Description`) through named templates.

Templates live in ``data/templates/NAME.j2``; a user folder may add templates or override
shipped ones by name. Rendering is sandboxed, autoescape is off (the output is text; ``|e``
escapes for HTML when a template wants it) and undefined names are errors, so templates must
test facets (``{% if colours %}``), which are ``None`` when missing. Any template problem
raises :class:`TemplateError` naming the template, its file and line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from picsift.describe.i18n import Translations
from picsift.describe.model import DescriptionBase
from picsift.describe.objects import count_phrase, object_phrases
from picsift.errors import PicsiftError
from picsift.resources import data_dir

SUFFIX = ".j2"
ALT_MAX_CHARS = 125


class TemplateError(PicsiftError):
    """A description template is missing, malformed or failed while rendering."""

    def __init__(self, name: str, reason: str, *, path: str | None = None, line: int | None = None):
        self.name = name
        self.path = path
        self.line = line
        self.reason = reason
        where = f"template {name!r}"
        if path:
            where += f" ({path}"
            where += f", line {line})" if line else ")"
        elif line:
            where += f" line {line}"
        super().__init__(f"{where}: {reason}")


def shipped_templates_dir() -> Path:
    return data_dir() / "templates"


def trim_to(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters: whole sentences if that keeps at least half,
    else cut at a word boundary and closed with a full stop."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    sentence_end = text.rfind(". ", 0, limit)
    if sentence_end >= limit // 2:  # drop whole trailing sentences when that keeps enough
        return text[: sentence_end + 1]
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    cut = cut.rstrip(" ,;:-")
    return (cut + ".") if not cut.endswith(".") else cut


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _trim_alt(text: str) -> str:
    return trim_to(text, ALT_MAX_CHARS)


def _comma_list(text: str) -> str:
    seen: list[str] = []
    for part in text.split(","):
        item = " ".join(part.split())
        if item and item.lower() not in (s.lower() for s in seen):
            seen.append(item)
    return ", ".join(seen)


# Applied after rendering, by template name (also to user templates of that name).
POSTPROCESS: dict[str, Callable[[str], str]] = {
    "paragraph": _one_line,
    "alt": _trim_alt,
    "alt-ru": _trim_alt,
    "alt-de": _trim_alt,
    "tags": _comma_list,
    "seo": _comma_list,
}


def _human_list(items: Iterable[Any], conj: str = "and") -> str:
    words = [str(i) for i in items if i not in (None, "")]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conj} {words[-1]}"


def _percent(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value * 100:.{digits}f}%"


def _to_json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False)


def _sentence(text: str | None) -> str:
    """Capitalised, ending in a full stop; '' for None/blank."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _article(word: str | None) -> str:
    word = (word or "").strip()
    if not word:
        return ""
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


class TemplateRenderer:
    """Finds templates by name (user folder first, then the shipped ones) and renders them."""

    def __init__(self, user_dir: str | Path | None = None) -> None:
        self.user_dir = Path(user_dir).expanduser() if user_dir else None
        dirs = [shipped_templates_dir()]
        if self.user_dir is not None:
            dirs.insert(0, self.user_dir)
        self._dirs = dirs
        self._env = ImmutableSandboxedEnvironment(
            loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self._env.filters.update(
            human_list=_human_list,
            percent=_percent,
            to_json=_to_json,
            sentence=_sentence,
            article=_article,
            object_phrases=object_phrases,
            count_phrase=count_phrase,
            tr=Translations().translate,
        )

    def names(self) -> list[str]:
        """Every template name available, sorted (user templates included; ``_*`` are partials)."""
        found: set[str] = set()
        for d in self._dirs:
            if d.is_dir():
                found.update(
                    p.name[: -len(SUFFIX)]
                    for p in d.glob(f"*{SUFFIX}")
                    if p.is_file() and not p.name.startswith("_")
                )
        return sorted(found)

    def path_of(self, name: str) -> Path | None:
        for d in self._dirs:
            candidate = d / f"{name}{SUFFIX}"
            if candidate.is_file():
                return candidate
        return None

    def render(self, name: str, description: DescriptionBase) -> str:
        """Render ``description`` with template ``name``; errors become :class:`TemplateError`."""
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise TemplateError(name, "invalid template name")
        path = self.path_of(name)
        if path is None:
            raise TemplateError(name, f"no such template; available: {', '.join(self.names())}")
        try:
            template = self._env.get_template(f"{name}{SUFFIX}")
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                name, f"syntax error: {exc.message}", path=str(path), line=exc.lineno
            ) from None
        except jinja2.TemplateError as exc:
            raise TemplateError(name, str(exc), path=str(path)) from None
        try:
            text = template.render(_context(description))
        except jinja2.TemplateSyntaxError as exc:  # e.g. an included template is malformed
            raise TemplateError(
                name,
                f"syntax error: {exc.message}",
                path=exc.filename or str(path),
                line=exc.lineno,
            ) from None
        except Exception as exc:
            line = _template_line(sys.exc_info()[2], template.filename)
            reason = (
                f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, jinja2.TemplateError)
                else str(exc)
            )
            raise TemplateError(name, reason, path=str(path), line=line) from None
        post = POSTPROCESS.get(name)
        return post(text) if post else text.strip() + "\n"


def _context(description: DescriptionBase) -> dict[str, Any]:
    """Facets as attributes (``colours.palette``); ``description`` is the plain JSON dict."""
    ctx: dict[str, Any] = {
        name: getattr(description, name) for name in type(description).model_fields
    }
    ctx["description"] = description.model_dump(mode="json")
    return ctx


def _template_line(tb: TracebackType | None, filename: str | None) -> int | None:
    """Line in the template file of the innermost traceback frame that belongs to it."""
    line = None
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(name: str, description: DescriptionBase, user_dir: str | Path | None = None) -> str:
    """One-off convenience around :class:`TemplateRenderer`."""
    return TemplateRenderer(user_dir).render(name, description)

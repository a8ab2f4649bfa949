"""Words of other languages for templates: ``{{ 'red' | tr('ru') }}`` gives ``красный``.

The facets produce English words (colour names, framing, light). A word list per language,
``data/i18n/<lang>.toml`` (a ``[words]`` table of English word to translation), lets a
template speak another language without code. Lists are data: adding a language is adding
a file. A word the list lacks stays in English, so a template never fails on a new word.
"""

from __future__ import annotations

import re
import threading
import tomllib
from pathlib import Path

from picsift.resources import data_dir

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def shipped_i18n_dir() -> Path:
    return data_dir() / "i18n"


class Translations:
    """Each language's word list, read on first use, once."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = folder or shipped_i18n_dir()
        self._lists: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def languages(self) -> list[str]:
        return sorted(p.stem for p in self._folder.glob("*.toml"))

    def translate(self, word: object, language: str) -> str:
        text = "" if word is None else str(word)
        return self._words(language).get(text, text)

    def _words(self, language: str) -> dict[str, str]:
        with self._lock:
            if language not in self._lists:
                self._lists[language] = self._read(language)
            return self._lists[language]

    def _read(self, language: str) -> dict[str, str]:
        path = self._folder / f"{language}.toml"
        if not _LANGUAGE.match(language) or not path.is_file():
            known = ", ".join(self.languages())
            raise ValueError(f"no word list for language '{language}' (known: {known})")
        with path.open("rb") as fh:
            words = tomllib.load(fh).get("words", {})
        return {str(k): str(v) for k, v in words.items()}

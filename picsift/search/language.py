"""Which language a text is in: the script first, then a small offline classifier.

The word channel matches words, so it can only help a query written in a language the
captions are in; the semantic channels of a multilingual preset read any of them. This tells
the search which case a query is.

Script decides when it can: Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, Hangul and
kana are unambiguous for this purpose (kana: Japanese; Hangul: Korean; Han alone: Chinese).
Latin-script text goes to py3langid (BSD-3-Clause; Lui & Baldwin 2012, "langid.py: An
Off-the-shelf Language Identification Tool"; 97 languages, model in the wheel), restricted
to the languages people most often write captions in, and is only trusted above a
probability: on two-word queries it guesses, and a wrong guess would turn a channel off.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Latin-script languages the classifier chooses among (ISO 639-1).
LATIN_LANGUAGES = (
    "en de fr es it pt nl sv da no fi pl cs sk sl hr ro hu tr id ms vi ca et lv lt".split()
)
MIN_PROBABILITY = 0.9  # below this a Latin-script guess is "unknown"
MIN_LETTERS = 3

_SCRIPTS = {  # Unicode name prefix of a letter -> language it settles
    "CYRILLIC": "ru",
    "GREEK": "el",
    "ARABIC": "ar",
    "HEBREW": "he",
    "DEVANAGARI": "hi",
    "THAI": "th",
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "CJK": "zh",
}


@dataclass(frozen=True)
class Detected:
    language: str  # ISO 639-1 code, or "und" when unknown
    probability: float
    by: str  # "script" or "classifier"

    @property
    def known(self) -> bool:
        return self.language != "und"


UNKNOWN = Detected("und", 0.0, "classifier")


def script_of(text: str) -> tuple[str | None, int]:
    """The text's main non-Latin script's language (kana beats Han: Japanese mixes both),
    and how many letters it has."""
    counts: Counter[str] = Counter()
    letters = 0
    for char in text:
        if not char.isalpha():
            continue
        letters += 1
        name = unicodedata.name(char, "")
        for prefix, language in _SCRIPTS.items():
            if name.startswith(prefix):
                counts[language] += 1
                break
    if not counts:
        return None, letters
    if counts["ja"]:
        return "ja", letters
    language, n = counts.most_common(1)[0]
    return (language if n * 2 >= letters else None), letters


class LanguageDetector:
    """Detects a text's language. The classifier loads once, on first use, behind a lock."""

    def __init__(self, languages: Iterable[str] = LATIN_LANGUAGES) -> None:
        self._languages = list(languages)
        self._identifier: Any = None
        self._lock = threading.Lock()

    def detect(self, text: str) -> Detected:
        script, letters = script_of(text)
        if letters < MIN_LETTERS:
            return UNKNOWN
        if script is not None:
            return Detected(script, 1.0, "script")
        language, probability = self._classifier().classify(text)
        if probability < MIN_PROBABILITY:
            return Detected("und", float(probability), "classifier")
        return Detected(str(language), float(probability), "classifier")

    def languages_of(self, texts: Iterable[str], min_share: float = 0.1) -> set[str]:
        """The languages at least ``min_share`` of the (known) texts are in."""
        found = Counter(d.language for d in map(self.detect, texts) if d.known)
        total = sum(found.values())
        return {lang for lang, n in found.items() if total and n / total >= min_share}

    def warm(self) -> None:
        """Load the classifier now (a server does it at start, not on its first query)."""
        self._classifier()

    def _classifier(self) -> Any:
        with self._lock:
            if self._identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(self._languages)
                self._identifier = identifier
            return self._identifier

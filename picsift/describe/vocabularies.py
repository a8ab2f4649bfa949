"""Tag vocabularies: label files a person can add or edit without touching code.

A vocabulary is a ``*.txt`` file (one label per line, ``#`` comments) in ``data/vocabularies``
or ``$PICSIFT_HOME/vocabularies``; a user file of the same name replaces the shipped one.
Settings for the file sit in its own header, so a vocabulary travels as one file::

    #: threshold = 0.26      # minimum CLIP cosine for a label to become a tag
    #: margin = 0.04         # and within this much of the image's best label in the file
    #: top = 3               # at most this many tags from the file per image
    #: prompt = a photo of a {} in a hotel.   # repeatable; replaces the default prompts
    #: tagging = off         # keep the file for category names only
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from picsift.errors import PicsiftError
from picsift.models.zeroshot import load_vocabulary

# Uncalibrated defaults: no CLIP weights exist on the machines picsift is built on, so these
# come from the usual ViT-B/32 cosine ranges (matching prompt ~0.27-0.35, unrelated ~0.10-0.22)
# and are meant to be tuned per file.
DEFAULT_THRESHOLD = 0.25
DEFAULT_MARGIN = 0.05
DEFAULT_TOP = 3
# Three prompts, not CLIP's six: the ensemble's gain comes mostly from the first few, and a
# cold start embeds every label of every vocabulary through each prompt.
TAG_TEMPLATES: tuple[str, ...] = (
    "a photo of a {}.",
    "a photo of the {}.",
    "a close-up photo of a {}.",
)


class VocabularyError(PicsiftError):
    """A vocabulary file is unusable; the message names the file and line."""


@dataclass(frozen=True)
class Vocabulary:
    name: str
    path: Path
    labels: tuple[str, ...]
    threshold: float = DEFAULT_THRESHOLD
    margin: float = DEFAULT_MARGIN
    top: int = DEFAULT_TOP
    templates: tuple[str, ...] = TAG_TEMPLATES
    tagging: bool = True


def _number(path: Path, line: int, key: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise VocabularyError(f"{path}:{line}: '{key}' must be a number, got '{value}'") from None
    if not low <= number <= high:
        raise VocabularyError(f"{path}:{line}: '{key}' must be in [{low}, {high}], got {number}")
    return number


def parse_vocabulary(path: Path) -> Vocabulary:
    """Labels plus the ``#:`` settings in the file's comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(f"{path}: cannot read vocabulary ({exc})") from None
    options: dict[str, object] = {}
    prompts: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.startswith("#:"):
            continue
        body = raw[2:]
        key, sep, value = body.partition("=")
        key = key.strip().lower()
        # a trailing "# comment" is allowed except in prompts, whose text is taken as written
        value = value.strip() if key == "prompt" else value.split("#", 1)[0].strip()
        if not sep or not value:
            raise VocabularyError(f"{path}:{number}: expected '#: key = value', got '{raw}'")
        if key == "threshold":
            options[key] = _number(path, number, key, value, -1.0, 1.0)
        elif key == "margin":
            options[key] = _number(path, number, key, value, 0.0, 2.0)
        elif key == "top":
            options[key] = int(_number(path, number, key, value, 0, 100))
        elif key == "prompt":
            if value.count("{}") != 1:
                raise VocabularyError(f"{path}:{number}: a prompt needs exactly one '{{}}'")
            prompts.append(value)
        elif key == "tagging":
            if value.lower() not in ("on", "off"):
                raise VocabularyError(f"{path}:{number}: 'tagging' is on or off, got '{value}'")
            options[key] = value.lower() == "on"
        else:
            known = "threshold, margin, top, prompt, tagging"
            raise VocabularyError(f"{path}:{number}: unknown setting '{key}' (known: {known})")
    if prompts:
        options["templates"] = tuple(prompts)
    labels = tuple(load_vocabulary(path))
    if not labels:
        raise VocabularyError(f"{path}: the vocabulary has no labels")
    return Vocabulary(path.stem, path, labels, **options)  # type: ignore[arg-type]


def find_vocabularies(folders: Iterable[Path], names: Sequence[str] = ()) -> list[Vocabulary]:
    """Vocabularies in ``folders`` (later folders override earlier ones by file name), the
    ones named in ``names`` or, with none named, every one whose ``tagging`` is on."""
    files: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.txt")):
                files[path.stem] = path
    if names:
        missing = [n for n in names if n not in files]
        if missing:
            raise VocabularyError(
                f"no vocabulary named {', '.join(missing)}; available: {', '.join(sorted(files))}"
            )
        return [parse_vocabulary(files[n]) for n in names]
    found = [parse_vocabulary(p) for _, p in sorted(files.items())]
    return [v for v in found if v.tagging]

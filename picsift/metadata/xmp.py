"""What picsift writes into a picture's XMP, as exiftool tag names and values.

The fields content systems, asset managers and photo tools read:

- ``dc:description``: the description (the ``paragraph`` template by default);
- ``Iptc4xmpCore:AltTextAccessibility``: alt text, at most 125 characters (``alt``);
- ``Iptc4xmpCore:ExtDescrAccessibility``: the longer description for accessibility;
- ``dc:subject``: keywords: the ones already there, then the ``tags`` template's list (tags,
  objects, colours, framing) and the category name;
- the picsift namespace (``data/exiftool/picsift.config``): the caption model, the category,
  the facets (the ``json`` template), and for generated pictures the prompt, generator and
  agreement; and a hash of the description written, so that picsift can tell its own text
  from a person's edit when it reads the file back
  (:func:`picsift.imaging.xmp_marks.written_by_picsift`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from picsift.imaging.xmp_marks import description_hash
from picsift.metadata.exiftool import Value

DESCRIPTION = "XMP-dc:Description"
ALT = "XMP-iptcCore:AltTextAccessibility"
EXTENDED = "XMP-iptcCore:ExtDescrAccessibility"
SUBJECT = "XMP-dc:Subject"
MAX_FACETS = 16_000  # characters of facets JSON written; a bigger one is left out
ALL_READ = (DESCRIPTION, ALT, EXTENDED, SUBJECT, "XMP-picsift:all")


@dataclass(frozen=True)
class XmpContent:
    """One picture's fields, from its stored description."""

    description: str
    alt: str
    keywords: tuple[str, ...]
    caption_model: str | None = None
    category: str | None = None
    facets: str | None = None  # JSON
    prompt: str | None = None
    generator: str | None = None
    agreement: float | None = None

    def tags(self, current: Mapping[str, Any]) -> dict[str, Value]:
        """exiftool assignments; keywords already in ``current`` (its read-back) are kept
        first, so a second export adds nothing."""
        subject = [*_as_list(current.get(SUBJECT))]
        subject += [k for k in self.keywords if k not in subject]
        tags: dict[str, Value] = {
            DESCRIPTION: self.description,
            ALT: self.alt,
            EXTENDED: self.description,
            SUBJECT: subject,
            "XMP-picsift:DescriptionHash": description_hash(self.description),
        }
        optional = {
            "XMP-picsift:CaptionModel": self.caption_model,
            "XMP-picsift:Category": self.category,
            "XMP-picsift:Facets": self.facets
            if self.facets and len(self.facets) <= MAX_FACETS
            else None,
            "XMP-picsift:Prompt": self.prompt,
            "XMP-picsift:Generator": self.generator,
            "XMP-picsift:PromptAgreement": None
            if self.agreement is None
            else f"{self.agreement:.4f}",
        }
        tags.update({k: v for k, v in optional.items() if v})
        return tags


def changes(wanted: Mapping[str, Value], current: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Each field whose value would change: name -> (now, after)."""
    out: dict[str, tuple[Any, Any]] = {}
    for name, value in wanted.items():
        now = current.get(name)
        if isinstance(value, str):
            same = now is not None and _text(now) == value
        else:
            same = _as_list(now) == list(value)
        if not same:
            out[name] = (now, value)
    return out


def compact_json(text: str) -> str:
    """A template's JSON output on one line (None-safe for the caller)."""
    return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [str(v) for v in value]
    return [str(value)]

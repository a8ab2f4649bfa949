"""People's own captions: sidecar files next to images and a JSONL file given to ``index``.

They are stored beside the model's caption and searched too, so existing alt text is never
lost and retrieval can be measured on real human captions.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from picsift.errors import PicsiftError
from picsift.imaging.xmp_marks import written_by_picsift

_MAX_SIDECAR_BYTES = 1 << 20
_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def _read_small(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_SIDECAR_BYTES:
            return None
        return path.read_text("utf-8", errors="replace")
    except OSError:
        return None


def xmp_description(text: str) -> str | None:
    """``dc:description`` of an XMP packet (first language alternative), or None."""
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError:
        return None
    for desc in root.iter(f"{{{_NS['dc']}}}description"):
        items = [li.text for li in desc.iter(f"{{{_NS['rdf']}}}li") if li.text]
        value = items[0] if items else desc.text
        if value and value.strip() and not written_by_picsift(value, root):
            return " ".join(value.split())
    return None


def sidecar_caption(image: Path) -> str | None:
    """Caption from ``photo.txt`` or ``photo.jpg.txt``, else XMP ``photo.xmp`` / ``.jpg.xmp``."""
    for candidate in (image.with_suffix(".txt"), image.with_name(image.name + ".txt")):
        text = _read_small(candidate)
        if text and text.strip():
            return " ".join(text.split())
    for candidate in (image.with_suffix(".xmp"), image.with_name(image.name + ".xmp")):
        text = _read_small(candidate)
        if text and (found := xmp_description(text)):
            return found
    return None


def load_captions_file(path: Path, base: Path) -> dict[str, str]:
    """Absolute image path -> caption, from JSONL lines ``{"file": rel, "caption": text}``.

    ``file`` is relative to ``base`` (the indexed folder); several lines for one file are joined.
    """
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PicsiftError(f"cannot read captions file {path}: {exc}") from None
    out: dict[str, list[str]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            rel, caption = item["file"], item["caption"]
            if not isinstance(rel, str) or not isinstance(caption, str):
                raise TypeError("'file' and 'caption' must be strings")
        except (ValueError, KeyError, TypeError) as exc:
            raise PicsiftError(
                f"{path}:{number}: expected a JSON object with 'file' and 'caption' ({exc})"
            ) from None
        target = str((base / rel).absolute())
        cleaned = re.sub(r"\s+", " ", caption).strip()
        if cleaned:
            out.setdefault(target, []).append(cleaned)
    return {p: " ".join(texts) for p, texts in out.items()}

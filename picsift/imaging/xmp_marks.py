"""picsift's mark in the XMP it writes: a hash of the description, so that when picsift reads
a file or sidecar back it can tell its own text (not a person's caption, not a generator's
prompt) from one a person wrote or changed since. Pure, and imports nothing of picsift's:
the readers (``imaging``, ``indexer``) and the writer (``metadata``) all use it."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

NAMESPACE = "http://ns.picsift.dev/xmp/1.0/"


def description_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def written_by_picsift(description: str, root: ET.Element) -> bool:
    """Whether ``description``, read from the XMP tree ``root``, is the text picsift wrote
    there and no person has changed it since."""
    tag = f"{{{NAMESPACE}}}DescriptionHash"
    for element in root.iter():
        stored = element.attrib.get(tag) or (element.text if element.tag == tag else None)
        if stored:
            return description_hash(description) == stored.strip()
    return False

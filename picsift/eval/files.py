"""Mapping the file names in evaluation data to catalog ids."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from picsift.config import Settings
from picsift.errors import ImageError, PicsiftError
from picsift.imaging.sandbox import DecodeSandbox
from picsift.store.ports import LibraryStore


def resolve_files(
    store: LibraryStore, groups: Sequence[Sequence[str]], root: Path | None
) -> list[list[int]]:
    """Each group of relative file names -> catalog ids, by path under ``root`` or by unique
    path suffix; every file must be found exactly once."""
    rows = store.images.rows_under(str(root.absolute()) if root else "/")
    by_suffix: dict[str, list[int]] = {}
    for path, row in rows.items():
        parts = Path(path).parts
        for i in range(len(parts)):
            by_suffix.setdefault("/".join(parts[i:]), []).append(row.id)
    out, missing = [], []
    for group in groups:
        ids = []
        for rel in group:
            found = by_suffix.get(rel.strip("/"), [])
            if len(found) != 1:
                missing.append(rel)
            ids.extend(found[:1])
        out.append(ids)
    if missing:
        raise PicsiftError(
            f"{len(missing)} files are not (uniquely) in the store, e.g. {missing[:3]}; "
            "index their folder first (and pass --root when names repeat)"
        )
    return out


def read_jsonl(path: Path, expected: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; ``expected`` shows the line format in
    the error that names a bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PicsiftError(f"cannot read {path}: {exc}") from None
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise PicsiftError(f"{path}:{number}: expected {expected} ({exc})") from None
        if not isinstance(item, dict):
            raise PicsiftError(f"{path}:{number}: expected {expected}")
        out.append((number, item))
    if not out:
        raise PicsiftError(f"{path}: no records")
    return out


def decode_all(
    folder: Path, files: Sequence[str], settings: Settings
) -> tuple[dict[str, Image.Image], list[str]]:
    """Decode ``files`` under ``folder`` as the indexer would: (images by file, skip reasons)."""
    images, skipped = {}, []
    with DecodeSandbox(settings) as sandbox:
        for file in files:
            path = folder / file
            try:
                images[file] = sandbox.decode(path.read_bytes(), str(path)).image
            except (OSError, ImageError) as exc:
                skipped.append(f"{file}: {getattr(exc, 'reason', exc)}")
    if not images:
        raise PicsiftError(f"none of the referenced images could be read under {folder}")
    return images, skipped

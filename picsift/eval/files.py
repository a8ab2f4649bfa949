"""Mapping the file names in evaluation data to catalog ids."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from picsift.errors import PicsiftError
from picsift.store import Store


def resolve_files(
    store: Store, groups: Sequence[Sequence[str]], root: Path | None
) -> list[list[int]]:
    """Each group of relative file names -> catalog ids, by path under ``root`` or by unique
    path suffix; every file must be found exactly once."""
    rows = store.catalog.rows_under(str(root.absolute()) if root else "/")
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

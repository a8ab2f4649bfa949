"""Persistence of what generated images' prompts say, and how well their pictures agree.

Shares the catalog's connection and lock, as :mod:`picsift.store.sqlite.edits` does. The
prompt, generator and flag themselves are written with each analysis
(:meth:`~picsift.store.sqlite.catalog.Catalog.commit_analyses`); agreement comes later, from
a sweep that needs the library's vectors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from picsift.store.filters import Filters
from picsift.store.records import PromptRow
from picsift.store.sqlite.catalog import Catalog, now_iso
from picsift.store.sqlite.filters import where


class PromptStore:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def missing_agreement(self, space: str, limit: int) -> list[PromptRow]:
        """Analysed images with a prompt and a vector in ``space`` but no agreement yet."""
        rows = self._catalog._read(
            """SELECT i.id, i.prompt, coalesce(i.caption, ''), coalesce(i.user_caption, ''),
                      trim(coalesce(i.tags, '') || ' ' || coalesce(i.ocr_text, ''))
               FROM images i JOIN embeddings e ON e.image_id = i.id AND e.space = ?
               WHERE i.status = 'ok' AND i.agreement IS NULL AND trim(coalesce(i.prompt, ''))
               != '' ORDER BY i.id LIMIT ?""",
            (space, limit),
        ).fetchall()
        return [PromptRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows]

    def vectors_of(self, space: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._catalog._read(
            f"SELECT image_id, vector FROM embeddings WHERE space = ? AND image_id IN ({marks})",
            (space, *ids),
        ).fetchall()
        return {int(r[0]): np.frombuffer(r[1], dtype=np.float32).copy() for r in rows}

    def sample_vectors(self, space: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``n`` vectors spread over the library (a fixed hash of the id: the same
        sample on every call), as (ids, vectors)."""
        rows = self._catalog._read(
            """SELECT image_id, vector FROM embeddings WHERE space = ?
               ORDER BY (image_id * 2654435761) % 4294967296 LIMIT ?""",
            (space, n),
        ).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        if not rows:
            return ids, np.zeros((0, 0), dtype=np.float32)
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        return ids, vectors.reshape(len(rows), -1).copy()

    def set_agreements(self, values: Mapping[int, str]) -> None:
        with self._catalog.transaction() as conn:
            conn.executemany(
                "UPDATE images SET agreement = ?, updated_at = ? WHERE id = ?",
                [(text, now_iso(), image_id) for image_id, text in values.items()],
            )

    def agreement(self, image_id: int) -> str | None:
        row = self._catalog._read(
            "SELECT agreement FROM images WHERE id = ?", (image_id,)
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def details(self, image_id: int) -> str | None:
        """The generation details JSON (negative prompt, settings, metadata problems)."""
        row = self._catalog._read(
            "SELECT generation FROM images WHERE id = ?", (image_id,)
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def worst(self, filters: Filters, limit: int, offset: int = 0) -> tuple[list[int], int]:
        """Ids of the images whose prompt agrees least with the picture, worst first, and
        how many have an agreement at all (within ``filters``)."""
        condition, params = where(filters)
        base = f"FROM images i WHERE {condition} AND json_valid(i.agreement)"
        total = self._catalog._read(f"SELECT count(*) {base}", params).fetchone()
        rows = self._catalog._read(
            f"""SELECT i.id {base}
                ORDER BY json_extract(i.agreement, '$.percentile'),
                         json_extract(i.agreement, '$.clip'), i.id LIMIT ? OFFSET ?""",
            [*params, limit, offset],
        ).fetchall()
        return [int(r[0]) for r in rows], int(total[0]) if total else 0

    def generators(self) -> list[tuple[str, int]]:
        """Each generator named in the library, with how many images it made, most first."""
        rows = self._catalog._read(
            """SELECT generator, count(*) FROM images WHERE status = 'ok'
               AND generator IS NOT NULL GROUP BY generator ORDER BY count(*) DESC, generator"""
        ).fetchall()
        return [(str(r[0]), int(r[1])) for r in rows]

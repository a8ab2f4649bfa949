"""Persistence of auto-named categories: what a clustering run wrote, renames, memberships.

Kept apart from :mod:`picsift.store.sqlite.catalog` (which it shares a connection and lock with) so
each module keeps one job. The clustering itself lives in :mod:`picsift.cluster`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from picsift.errors import PicsiftError
from picsift.store.records import UNSORTED, Category, CategoryRecord, Membership
from picsift.store.sqlite.catalog import Catalog, now_iso

_COLUMNS = (
    "id, coalesce(user_name, name), name, user_name, keywords, confidence, size, is_parent, "
    "parent_id, space, representatives"
)


def _category(row: Sequence[Any]) -> Category:
    (cid, shown, auto, user, keywords, confidence, size, is_parent, parent, space, reps) = row
    return Category(
        int(cid),
        str(shown),
        str(auto),
        None if user is None else str(user),
        list(json.loads(str(keywords))),
        float(confidence),
        int(size),
        bool(is_parent),
        None if parent is None else int(parent),
        str(space),
        list(json.loads(str(reps))),
    )


class CategoryStore:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def all(self) -> list[Category]:
        rows = self._catalog._read(f"SELECT {_COLUMNS} FROM categories ORDER BY size DESC, id")
        return [_category(r) for r in rows]

    def get(self, category_id: int) -> Category | None:
        rows = self._catalog._read(
            f"SELECT {_COLUMNS} FROM categories WHERE id = ?", (category_id,)
        )
        return _category(rows[0]) if rows else None

    def unsorted_count(self) -> int:
        row = self._catalog._read("SELECT count(*) FROM memberships WHERE category_id IS NULL")
        return int(row[0][0])

    def leaf_members(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        rows = self._catalog._read(
            "SELECT m.category_id, m.image_id FROM memberships m JOIN categories c "
            "ON c.id = m.category_id WHERE c.is_parent = 0"
        )
        for cid, image_id in rows:
            out.setdefault(int(cid), set()).add(int(image_id))
        return out

    def parent_members(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        rows = self._catalog._read(
            "SELECT c.parent_id, m.image_id FROM memberships m JOIN categories c "
            "ON c.id = m.category_id WHERE c.parent_id IS NOT NULL"
        )
        for pid, image_id in rows:
            out.setdefault(int(pid), set()).add(int(image_id))
        return out

    def next_id(self) -> int:
        """One above any id ever used, so a category that died never lends its id."""
        rows = self._catalog._read("SELECT seq FROM sqlite_sequence WHERE name = 'categories'")
        return (int(rows[0][0]) if rows else 0) + 1

    def leaf_centroids(self) -> tuple[list[int], np.ndarray, np.ndarray]:
        """(ids, unit centroids [k, d], join thresholds [k]) of the current leaf categories."""
        rows = self._catalog._read(
            "SELECT id, centroid, coalesce(join_threshold, 1.0) FROM categories "
            "WHERE is_parent = 0 AND centroid IS NOT NULL ORDER BY id"
        )
        if not rows:
            return [], np.zeros((0, 0), np.float32), np.zeros(0, np.float32)
        ids = [int(r[0]) for r in rows]
        cents = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
        return ids, cents, np.asarray([float(r[2]) for r in rows], np.float32)

    def unassigned(self) -> list[int]:
        """Analysed images with no membership yet (indexed since the last clustering)."""
        rows = self._catalog._read(
            "SELECT i.id FROM images i LEFT JOIN memberships m ON m.image_id = i.id "
            "WHERE i.status = 'ok' AND m.image_id IS NULL ORDER BY i.id"
        )
        return [int(r[0]) for r in rows]

    def member_ids(self, category_id: int, offset: int, limit: int) -> tuple[list[int], int]:
        """A page of a category's images (a parent holds its children's), and the total."""
        if category_id == UNSORTED:
            where, params = "m.category_id IS NULL", ()
        else:
            where = "(c.id = ? OR c.parent_id = ?)"
            params = (category_id, category_id)  # type: ignore[assignment]
        base = (
            "FROM memberships m LEFT JOIN categories c ON c.id = m.category_id "
            f"JOIN images i ON i.id = m.image_id WHERE i.status = 'ok' AND {where}"
        )
        total = int(self._catalog._read(f"SELECT count(*) {base}", params)[0][0])
        rows = self._catalog._read(
            f"SELECT m.image_id {base} ORDER BY m.probability DESC, m.image_id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [int(r[0]) for r in rows], total

    def suggestions(self, ids: Sequence[int]) -> dict[int, tuple[int, float]]:
        """For Unsorted images: the category they are closest to, and how close (cosine)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._catalog._read(
            "SELECT image_id, suggested_id, suggested_similarity FROM memberships "
            f"WHERE image_id IN ({marks}) AND category_id IS NULL AND suggested_id IS NOT NULL",
            list(ids),
        )
        return {int(i): (int(c), float(s)) for i, c, s in rows}

    def projection(self) -> list[tuple[int, int | None, float, float]]:
        """(image id, category id, x, y) of every placed image, for a map view."""
        rows = self._catalog._read(
            "SELECT image_id, category_id, x, y FROM memberships WHERE x IS NOT NULL"
        )
        return [(int(a), None if b is None else int(b), float(x), float(y)) for a, b, x, y in rows]

    # -- writes -----------------------------------------------------------------------------
    def replace_all(
        self,
        records: Sequence[CategoryRecord],
        memberships: Sequence[Membership],
        params: dict[str, object],
        report: dict[str, object],
    ) -> None:
        """Make a clustering run current in one transaction; renames of kept ids survive."""
        now = now_iso()
        keep = [r.id for r in records]
        with self._catalog.transaction() as conn:
            conn.execute("DELETE FROM memberships")
            marks = ",".join("?" * len(keep)) or "NULL"
            conn.execute(f"DELETE FROM categories WHERE id NOT IN ({marks})", keep)
            conn.execute("UPDATE categories SET parent_id = NULL")
            for r in records:
                conn.execute(
                    """INSERT INTO categories(id, is_parent, space, name, keywords, confidence,
                           size, centroid, join_threshold, representatives, created_at,
                           updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(id) DO UPDATE SET is_parent = excluded.is_parent,
                           space = excluded.space, name = excluded.name,
                           keywords = excluded.keywords, confidence = excluded.confidence,
                           size = excluded.size, centroid = excluded.centroid,
                           join_threshold = excluded.join_threshold,
                           representatives = excluded.representatives,
                           updated_at = excluded.updated_at""",
                    (
                        r.id,
                        int(r.is_parent),
                        r.space,
                        r.name,
                        json.dumps(r.keywords),
                        r.confidence,
                        r.size,
                        None
                        if r.centroid is None
                        else np.asarray(r.centroid, np.float32).tobytes(),
                        r.join_threshold,
                        json.dumps(r.representatives),
                        now,
                        now,
                    ),
                )
            for r in records:
                if r.parent_id is not None:
                    conn.execute(
                        "UPDATE categories SET parent_id = ? WHERE id = ?", (r.parent_id, r.id)
                    )
            self._insert_memberships(conn, memberships)
            conn.execute(
                "INSERT INTO cluster_runs(space, created_at, params, report) VALUES (?, ?, ?, ?)",
                (
                    records[0].space if records else "",
                    now,
                    json.dumps(params, default=str),
                    json.dumps(report, default=str),
                ),
            )

    @staticmethod
    def _insert_memberships(conn: object, memberships: Sequence[Membership]) -> None:
        conn.executemany(  # type: ignore[attr-defined]
            """INSERT OR REPLACE INTO memberships(image_id, category_id, probability,
                   suggested_id, suggested_similarity, x, y, assigned_by)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    m.image_id,
                    m.category_id,
                    m.probability,
                    m.suggested_id,
                    m.suggested_similarity,
                    m.x,
                    m.y,
                    m.assigned_by,
                )
                for m in memberships
            ],
        )

    def add_members(self, memberships: Sequence[Membership]) -> None:
        """New images joining (or waiting in Unsorted) between clusterings."""
        if not memberships:
            return
        with self._catalog.transaction() as conn:
            self._insert_memberships(conn, memberships)
            conn.execute(
                """UPDATE categories SET size = (SELECT count(*) FROM memberships m
                       WHERE m.category_id = categories.id) WHERE is_parent = 0"""
            )
            conn.execute(
                """UPDATE categories SET size = (SELECT coalesce(sum(c.size), 0)
                       FROM categories c WHERE c.parent_id = categories.id)
                   WHERE is_parent = 1"""
            )

    def rename(self, category_id: int, name: str | None) -> Category:
        """Set (or with None / empty, clear) a person's name for a category."""
        cleaned = " ".join((name or "").split()) or None
        if cleaned is not None and len(cleaned) > 200:
            raise PicsiftError("a category name can be at most 200 characters")
        with self._catalog.transaction() as conn:
            row = conn.execute(
                "UPDATE categories SET user_name = ?, updated_at = ? WHERE id = ? RETURNING id",
                (cleaned, now_iso(), category_id),
            ).fetchone()
        if row is None:
            raise PicsiftError(f"no category with id {category_id}")
        category = self.get(category_id)
        assert category is not None
        return category

    def last_run(self) -> dict[str, object] | None:
        rows = self._catalog._read(
            "SELECT space, created_at, params, report FROM cluster_runs ORDER BY id DESC LIMIT 1"
        )
        if not rows:
            return None
        space, created, params, report = rows[0]
        return {
            "space": space,
            "created_at": created,
            "params": json.loads(params),
            "report": json.loads(report),
        }

"""What "nothing lost, nothing corrupted" means for a store, checked straight from SQLite."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from picsift.store.sqlite.schema import register_functions

Row = tuple[Any, ...]


@contextmanager
def connect(db: Path) -> Iterator[sqlite3.Connection]:
    """A connection that is closed on exit (sqlite3's own context manager only commits)."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        register_functions(conn)
        yield conn
    finally:
        conn.close()


def snapshot(db: Path) -> dict[str, dict[Any, Row]]:
    """Every image row and every vector (hashed), keyed by id: compare two to prove that
    nothing changed."""
    with connect(db) as conn:
        images = {
            r[0]: r
            for r in conn.execute(
                "SELECT id, path, sha256, size, mtime_ns, width, height, format, taken_at, "
                "caption, status, error, embedder, captioner, user_caption, facets, tags "
                "FROM images"
            )
        }
        vectors = {
            (r[0], r[1]): (r[2], hashlib.sha256(r[3]).hexdigest())
            for r in conn.execute("SELECT image_id, space, model, vector FROM embeddings")
        }
    return {"images": images, "vectors": vectors}


def problems(db: Path) -> list[str]:
    """Broken invariants of the catalog (an empty list when it is consistent)."""
    found: list[str] = []
    with connect(db) as conn:
        check = conn.execute("PRAGMA integrity_check").fetchall()
        if check != [("ok",)]:
            found.append(f"integrity_check: {check}")
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            found.append(f"foreign keys: {fk[:5]}")
        dup = conn.execute(
            "SELECT path, count(*) FROM images GROUP BY path HAVING count(*) > 1"
        ).fetchall()
        if dup:
            found.append(f"duplicate paths: {dup[:5]}")
        no_vector = conn.execute(
            "SELECT id, path FROM images WHERE status = 'ok' AND id NOT IN "
            "(SELECT image_id FROM embeddings WHERE space = 'image')"
        ).fetchall()
        if no_vector:
            found.append(f"ok rows without an image vector: {no_vector[:5]}")
        stray = conn.execute(
            "SELECT e.image_id, e.space FROM embeddings e LEFT JOIN images i ON i.id = e.image_id"
            " WHERE i.id IS NULL OR (i.status != 'ok' AND e.space = 'image')"
        ).fetchall()
        if stray:
            found.append(f"vectors of missing or unfinished rows: {stray[:5]}")
        unfinished = conn.execute(
            "SELECT id, path FROM images WHERE status = 'ok' AND (sha256 IS NULL OR caption IS "
            "NULL OR width IS NULL)"
        ).fetchall()
        if unfinished:
            found.append(f"ok rows missing their analysis: {unfinished[:5]}")
        fts = conn.execute("SELECT count(*) FROM images_fts").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM images").fetchone()[0]
        if fts != rows:
            found.append(f"full-text rows {fts} != image rows {rows}")
        try:
            conn.execute("INSERT INTO images_fts(images_fts) VALUES ('integrity-check')")
        except sqlite3.Error as exc:
            found.append(f"full-text index: {exc}")
        members = conn.execute(
            "SELECT count(*) FROM memberships m LEFT JOIN images i ON i.id = m.image_id "
            "WHERE i.id IS NULL"
        ).fetchone()[0]
        if members:
            found.append(f"{members} memberships of missing images")
    return found


def counts(db: Path) -> dict[str, int]:
    with connect(db) as conn:
        rows = dict(conn.execute("SELECT status, count(*) FROM images GROUP BY status").fetchall())
        vectors = conn.execute("SELECT count(*) FROM embeddings WHERE space = 'image'").fetchone()
    return {"ok": 0, "error": 0, "pending": 0, **rows, "vectors": vectors[0]}

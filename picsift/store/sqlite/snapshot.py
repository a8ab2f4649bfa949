"""One embedding space as of one moment, read on a private connection.

Index builds read every vector of a space, minutes of work at millions of rows. On the
catalog's shared connection that would hold its lock between chunks (stalling searches) and
could see a writer's commits half-way. A read transaction on its own connection sees one
consistent state for as long as it lasts (WAL mode), so the generation it reports is exactly
the one its vectors belong to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from picsift.errors import StoreError

CHUNK = 20_000  # rows per read: 40 MB of 512-d vectors


class EmbeddingSnapshot:
    """``generation``, ``model``, ``dim`` and ``count`` of one space, and its vectors in id
    order, all from the same read transaction."""

    def __init__(self, conn: sqlite3.Connection, space: str) -> None:
        self._conn = conn
        self.space = space
        keys = ("generation", f"model:{space}", f"dim:{space}")
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN (?, ?, ?)", keys))
        self.generation = int(meta.get("generation") or 0)
        self.model: str | None = meta.get(f"model:{space}")
        self.dim = int(meta.get(f"dim:{space}") or 0)
        self.count = int(
            conn.execute("SELECT count(*) FROM embeddings WHERE space = ?", (space,)).fetchone()[0]
        )

    def chunks(self, size: int = CHUNK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids int64 [m], vectors float32 [m, dim]) in ascending id order, ``size`` rows at a
        time (keyset pagination on the primary key, so each chunk costs the same)."""
        last = -1
        while True:
            rows = self._conn.execute(
                "SELECT image_id, vector FROM embeddings WHERE space = ? AND image_id > ? "
                "ORDER BY image_id LIMIT ?",
                (self.space, last, size),
            ).fetchall()
            if not rows:
                return
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            last = int(ids[-1])
            yield ids, vectors.reshape(len(rows), self.dim)


@contextmanager
def embedding_snapshot(db_path: Path, space: str) -> Iterator[EmbeddingSnapshot]:
    try:
        conn = sqlite3.connect(db_path, timeout=30.0, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the catalog {db_path}: {exc}") from exc
    try:
        conn.execute("PRAGMA query_only = 1")
        conn.execute("BEGIN")  # deferred: the first read fixes the snapshot
        yield EmbeddingSnapshot(conn, space)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the catalog {db_path}: {exc}") from exc
    finally:
        conn.close()

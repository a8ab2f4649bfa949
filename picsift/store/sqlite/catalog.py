"""The SQLite catalog: the source of truth for every image, caption and embedding.

WAL mode lets searches read while an indexer writes. Every write that changes embeddings
bumps ``generation`` in the same transaction, which is how derived FAISS files know whether
they are current.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from picsift.errors import ModelMismatchError, StoreError
from picsift.store.filters import MAX_INT, Filters
from picsift.store.records import CAPTION_SPACE, PROMPT_SPACE, Analysis, ImageRow
from picsift.store.sqlite import fts
from picsift.store.sqlite.filters import where
from picsift.store.sqlite.schema import migrate, register_functions
from picsift.store.sqlite.snapshot import EmbeddingSnapshot, embedding_snapshot


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Rows(list[Any]):
    """Fetched rows with the two cursor methods the read helpers use."""

    def fetchone(self) -> Any:
        return self[0] if self else None

    def fetchall(self) -> list[Any]:
        return list(self)


_ROW_COLUMNS = (
    "id, path, sha256, size, mtime_ns, status, width, height, format, taken_at, caption, "
    "error, embedder, captioner, user_caption, prompt, generator, ai_generated != 0"
)


def _spaces_plus_one(column: str) -> tuple[str, str]:
    trimmed = f"trim({column})"
    return column, f"length({trimmed}) - length(replace({trimmed}, ' ', '')) + 1"


# caption source -> (column, SQL for its word count)
_WORDS_OF = {
    "model": _spaces_plus_one("caption"),
    "user": _spaces_plus_one("user_caption"),
    "prompt": _spaces_plus_one("prompt"),
}


def _hint(exc: sqlite3.Error) -> str:
    """What to do about a failed write, from SQLite's message."""
    lowered = str(exc).lower()
    if "full" in lowered:
        return "; free some disk space and run again (what was committed is safe)"
    if "readonly" in lowered or "read-only" in lowered:
        return "; the store is read-only: make it writable or use another --home"
    if "disk i/o" in lowered or "unable to open" in lowered:
        return "; check that the disk is not full and the store is writable"
    return ""


def write_error(db_path: Path, exc: sqlite3.Error) -> StoreError:
    """A failed catalog write as one sentence, with what to do about it."""
    return StoreError(f"cannot write the catalog {db_path}: {exc}{_hint(exc)}")


class Catalog:
    def __init__(self, db_path: Path) -> None:
        self.path = db_path
        try:
            self._conn = sqlite3.connect(
                db_path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            register_functions(self._conn)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the catalog {db_path}: {exc}{_hint(exc)}") from exc
        self._lock = threading.RLock()
        self._analysed: tuple[int, int] | None = None
        self._mean_words: dict[tuple[str, ...], tuple[int, float]] = {}
        migrate(self._conn, str(db_path))

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a failed write (disk full, read-only store) is rolled back
        and becomes a StoreError naming the catalog and the cause."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise write_error(self.path, exc) from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            # When ROLLBACK itself fails (the disk is full), SQLite has rolled back already.
            with suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    def _read(self, sql: str, params: Sequence[object] = ()) -> _Rows:
        """Run a read under the connection's lock: API worker threads share this connection,
        and a read must not interleave with another thread's open write transaction."""
        with self._lock:
            return _Rows(self._conn.execute(sql, params).fetchall())

    # -- meta -------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self._read("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

    def space_model(self, space: str) -> str | None:
        return self.meta(f"model:{space}")

    def bind_model(self, space: str, model_id: str, dim: int) -> None:
        """Tie an embedding space to one model; refuse to mix models in one index."""
        with self.transaction() as conn:
            current = self.meta(f"model:{space}")
            has_vectors = conn.execute(
                "SELECT 1 FROM embeddings WHERE space = ? LIMIT 1", (space,)
            ).fetchone()
            if current is not None and current != model_id and has_vectors:
                raise ModelMismatchError(
                    f"the store at {self.path.parent} holds '{space}' embeddings made by "
                    f"{current}, not {model_id}; mixing models in one index would make search "
                    f"meaningless. Use the same --models preset, or another PICSIFT_HOME "
                    f"(or --home) for the new model"
                )
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?), (?, ?)",
                (f"model:{space}", model_id, f"dim:{space}", str(dim)),
            )

    # -- reads ------------------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[ImageRow]:
        return [
            ImageRow(*r[:-1], ai_generated=bool(r[-1]))  # type: ignore[misc]
            for r in self._read(sql, params).fetchall()
        ]

    def get(self, image_id: int) -> ImageRow | None:
        if not 0 <= image_id <= MAX_INT:  # no row has it; SQLite would overflow
            return None
        rows = self._rows(f"SELECT {_ROW_COLUMNS} FROM images WHERE id = ?", (image_id,))
        return rows[0] if rows else None

    def rows_under(self, root: str) -> dict[str, ImageRow]:
        """Every row whose path lies inside directory ``root`` (or is ``root``)."""
        prefix = root.rstrip("/") + "/"
        rows = self._rows(
            f"SELECT {_ROW_COLUMNS} FROM images WHERE path = ? OR substr(path, 1, ?) = ?",
            (root, len(prefix), prefix),
        )
        return {r.path: r for r in rows}

    def find_done_by_sha(self, sha256: str) -> list[ImageRow]:
        return self._rows(
            f"SELECT {_ROW_COLUMNS} FROM images WHERE sha256 = ? AND status = 'ok' ORDER BY id",
            (sha256,),
        )

    def done_hashes(self) -> list[str]:
        """The hash of every analysed file (a distributed run skips these bytes' model work)."""
        rows = self._read("SELECT DISTINCT sha256 FROM images WHERE status = 'ok'").fetchall()
        return [r[0] for r in rows if r[0]]

    def pending(self, paths: Iterable[str] | None = None) -> list[ImageRow]:
        rows = self._rows(f"SELECT {_ROW_COLUMNS} FROM images WHERE status = 'pending' ORDER BY id")
        if paths is None:
            return rows
        wanted = set(paths)
        return [r for r in rows if r.path in wanted]

    def errors(self) -> list[ImageRow]:
        return self._rows(f"SELECT {_ROW_COLUMNS} FROM images WHERE status = 'error' ORDER BY path")

    def analysed_count(self) -> int:
        """Images with results, cached per generation (searches ask for it on every query)."""
        generation = self.generation()
        if self._analysed is None or self._analysed[0] != generation:
            self._analysed = (generation, self.counts()["ok"])
        return self._analysed[1]

    def mean_words(self, sources: Sequence[str]) -> float:
        """Mean caption length in words (spaces + 1), cached per generation."""
        key = tuple(sorted(set(sources) & {"model", "user"}))
        generation = self.generation()
        cached = self._mean_words.get(key)
        if cached is not None and cached[0] == generation:
            return cached[1]
        parts = [_WORDS_OF[s] for s in key]
        if not parts:
            return 0.0
        sql = " UNION ALL ".join(
            f"SELECT {p} AS n FROM images WHERE status = 'ok' AND {c} IS NOT NULL "
            f"AND trim({c}) != ''"
            for c, p in parts
        )
        row = self._read(f"SELECT avg(n) FROM ({sql})").fetchone()
        mean = float(row[0]) if row and row[0] is not None else 0.0
        self._mean_words[key] = (generation, mean)
        return mean

    def caption_sample(self, sources: Sequence[str], n: int) -> list[str]:
        columns = [_WORDS_OF[s][0] for s in sorted(set(sources) & set(_WORDS_OF))]
        if not columns or n <= 0:
            return []
        parts = " UNION ALL ".join(
            f"SELECT id, {c} AS text FROM images WHERE status = 'ok' AND trim(coalesce({c}, '')) "
            "!= ''"
            for c in columns
        )
        # a fixed multiplicative hash of the id: spread over the library, stable across calls
        sql = f"SELECT text FROM ({parts}) ORDER BY (id * 2654435761) % 4294967296, text LIMIT ?"
        return [str(r[0]) for r in self._read(sql, (n,)).fetchall()]

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "error": 0, "pending": 0}
        for status, n in self._read("SELECT status, count(*) FROM images GROUP BY status"):
            out[str(status)] = int(n)
        return out

    def runtime_counts(self, space: str) -> dict[str, int]:
        """How many of a space's vectors each runtime produced ("unrecorded": before v5)."""
        rows = self._read(
            "SELECT coalesce(runtime, 'unrecorded'), count(*) FROM embeddings WHERE space = ? "
            "GROUP BY 1",
            (space,),
        )
        return {str(r): int(n) for r, n in rows.fetchall()}

    def embedding_count(self, space: str) -> int:
        row = self._read("SELECT count(*) FROM embeddings WHERE space = ?", (space,))
        return int(row.fetchone()[0])

    def embeddings(self, space: str) -> tuple[np.ndarray, np.ndarray]:
        """(ids int64 [n], vectors float32 [n, d]) for one space, in id order."""
        rows = self._read(
            "SELECT image_id, vector FROM embeddings WHERE space = ? ORDER BY image_id", (space,)
        ).fetchall()
        dim = int(self.meta(f"dim:{space}") or 0)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        if not rows:
            return ids, np.zeros((0, dim), dtype=np.float32)
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        return ids, vectors.reshape(len(rows), -1).copy()

    def snapshot(self, space: str) -> AbstractContextManager[EmbeddingSnapshot]:
        """A consistent view of one space's embeddings on a private connection, for reads
        that take long (index builds) and must not hold this connection's lock."""
        return embedding_snapshot(self.path, space)

    def rows(self, ids: Sequence[int]) -> dict[int, ImageRow]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._rows(f"SELECT {_ROW_COLUMNS} FROM images WHERE id IN ({marks})", list(ids))
        return {r.id: r for r in rows}

    def ids_matching(self, filters: Filters) -> np.ndarray:
        """Catalog ids of the analysed images that pass ``filters`` (FilterError if invalid)."""
        condition, params = where(filters)
        rows = self._read(f"SELECT i.id FROM images i WHERE {condition}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def search_words(
        self,
        words: Sequence[str],
        negatives: Sequence[str],
        sources: Sequence[str],
        filters: Filters,
        k: int,
        phrases: Sequence[str] = (),
        prompt_weight: float = 1.0,
    ) -> list[tuple[int, float]]:
        """BM25 over caption, user caption, tags, path words and prompt (higher score = better): any
        of ``words`` and each of ``phrases`` (exact) in the ``sources``' columns, none of
        ``negatives``, within ``filters``.

        Without active filters the join on ``images`` is skipped (a third of the cost on a
        large library) and rows that are not analysed images are dropped afterwards.
        """
        match = fts.any_word(words, negatives, sources, phrases)
        if match is None:
            return []
        bm25 = f"-bm25(images_fts, 1.0, 1.0, 1.0, 0.5, {float(prompt_weight)!r})"
        if not filters.active:
            sql = f"""SELECT f.rowid, {bm25} AS score
                     FROM images_fts f WHERE images_fts MATCH ? ORDER BY score DESC LIMIT ?"""
            found = self._fts(sql, [match, k + 50], match)
            ok = self.ok_ids([int(r[0]) for r in found])
            return [(int(i), float(s)) for i, s in found if int(i) in ok][:k]
        condition, params = where(filters)
        sql = f"""SELECT f.rowid, {bm25} AS score
                  FROM images_fts f JOIN images i ON i.id = f.rowid
                  WHERE images_fts MATCH ? AND {condition}
                  ORDER BY score DESC LIMIT ?"""
        return [(int(i), float(s)) for i, s in self._fts(sql, [match, *params, k], match)]

    def _fts(self, sql: str, params: Sequence[object], match: str) -> list[Any]:
        try:
            return list(self._read(sql, params).fetchall())
        except sqlite3.OperationalError as exc:
            raise StoreError(f"text search failed for {match!r}: {exc}") from exc

    def ids_containing(self, word: str, ids: Sequence[int], sources: Sequence[str]) -> set[int]:
        """Which of ``ids`` contain ``word`` in the ``sources``' columns.

        One pass over the word's postings within the ids' range, intersected here: FTS5 runs
        ``rowid IN (...)`` as one full-text query per listed id (40 to 100 times slower)."""
        if not ids:
            return set()
        rows = self._read(
            "SELECT rowid FROM images_fts WHERE images_fts MATCH ? AND rowid BETWEEN ? AND ?",
            [fts.one_word(word, sources), min(ids), max(ids)],
        )
        wanted = set(ids)
        return {int(r[0]) for r in rows if int(r[0]) in wanted}

    def set_facets(
        self,
        items: Sequence[tuple[int, str, str | None, str | None]],
        maps: dict[int, dict[str, bytes]] | None = None,
    ) -> None:
        """Store recomputed facets: (id, facets JSON, searchable words, text in the image), and
        the recomputed maps by image id."""
        if not items:
            return
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE images SET facets = ?, tags = ?, ocr_text = ?, updated_at = ? WHERE id = ?",
                [(js, tags, text, now_iso(), image_id) for image_id, js, tags, text in items],
            )
            for image_id, named in (maps or {}).items():
                self._put_maps(conn, image_id, named)

    def analysed_rows(self) -> list[ImageRow]:
        return self._rows(f"SELECT {_ROW_COLUMNS} FROM images WHERE status = 'ok' ORDER BY id")

    def facets_of(self, image_id: int) -> str | None:
        """The facets JSON stored at indexing time (None before schema v4 or when off)."""
        rows = self._read("SELECT facets FROM images WHERE id = ?", (image_id,))
        return None if not rows or rows[0][0] is None else str(rows[0][0])

    def existing_ids(self, ids: Sequence[int]) -> set[int]:
        """The ids among ``ids`` that still have a row (a stale index may name deleted ones)."""
        out: set[int] = set()
        for start in range(0, len(ids), 10_000):
            part = list(ids[start : start + 10_000])
            marks = ",".join("?" * len(part))
            rows = self._read(f"SELECT id FROM images WHERE id IN ({marks})", part)
            out.update(int(r[0]) for r in rows)
        return out

    def ok_ids(self, ids: Sequence[int]) -> set[int]:
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        rows = self._read(f"SELECT id FROM images WHERE status = 'ok' AND id IN ({marks})", ids)
        return {int(r[0]) for r in rows}

    def document_frequency(self, word: str) -> int:
        """How many images mention ``word`` (after the index's own stemming)."""
        row = self._read(
            "SELECT count(*) FROM images_fts WHERE images_fts MATCH ?", (fts.one_word(word),)
        ).fetchone()
        return int(row[0])

    def captions(self, ids: Sequence[int]) -> dict[int, str]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._read(
            f"SELECT id, coalesce(caption, '') FROM images WHERE id IN ({marks})", list(ids)
        )
        return {int(i): str(c) for i, c in rows}

    def tag_labels(self, ids: Sequence[int]) -> dict[int, list[str]]:
        """The tags facet's labels per image (images without tags are left out)."""
        out: dict[int, list[str]] = {}
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            chunk = list(ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            rows = self._read(
                "SELECT i.id, t.value FROM images i, json_each(i.facets, '$.tags') t "
                f"WHERE i.id IN ({marks}) AND json_valid(i.facets) ORDER BY i.id, t.key",
                chunk,
            )
            for image_id, label in rows:
                out.setdefault(int(image_id), []).append(str(label))
        return out

    # -- writes -----------------------------------------------------------------------------
    def add_pending(self, files: Iterable[tuple[str, int, int]]) -> None:
        """Record files to process (path, size, mtime_ns); a changed row goes back to pending."""
        now = now_iso()
        with self.transaction() as conn:
            for path, size, mtime_ns in files:
                conn.execute(
                    """INSERT INTO images(path, folder, size, mtime_ns, status, created_at,
                                          updated_at)
                       VALUES (?, ?, ?, ?, 'pending', ?, ?)
                       ON CONFLICT(path) DO UPDATE SET size = excluded.size,
                           mtime_ns = excluded.mtime_ns, status = 'pending', error = NULL,
                           updated_at = excluded.updated_at""",
                    (path, str(Path(path).parent), size, mtime_ns, now, now),
                )

    def rewritten(self, image_id: int, sha256: str, size: int, mtime_ns: int) -> None:
        """picsift rewrote the file's metadata (never its pixels): remember its new bytes, so
        the next index run finds it unchanged instead of analysing it again."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE images SET sha256 = ?, size = ?, mtime_ns = ?, updated_at = ? WHERE id = ?",
                (sha256, size, mtime_ns, now_iso(), image_id),
            )

    def touch(self, image_id: int, size: int, mtime_ns: int) -> None:
        """Same bytes, new timestamp: keep everything, remember the new stat."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE images SET size = ?, mtime_ns = ?, updated_at = ? WHERE id = ?",
                (size, mtime_ns, now_iso(), image_id),
            )

    @staticmethod
    def _put_vector(
        conn: sqlite3.Connection,
        image_id: int,
        space: str,
        model: str,
        vector: np.ndarray,
        runtime: str | None,
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO embeddings(image_id, space, model, vector, runtime) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                image_id,
                space,
                model,
                np.ascontiguousarray(vector, dtype=np.float32).tobytes(),
                runtime,
            ),
        )

    def put_vectors(
        self,
        space: str,
        model: str,
        ids: Sequence[int],
        vectors: np.ndarray,
        runtime: str | None = None,
    ) -> None:
        """Store vectors for existing rows (e.g. caption text embedded after the fact)."""
        if not len(ids):
            return
        with self.transaction() as conn:
            for image_id, vector in zip(ids, vectors, strict=True):
                self._put_vector(conn, int(image_id), space, model, vector, runtime)
            self._bump(conn)

    def drop_space(self, space: str) -> None:
        """Forget every vector of a space (its source text stays, so it can be recomputed)."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM embeddings WHERE space = ?", (space,))
            conn.execute("DELETE FROM meta WHERE key IN (?, ?)", (f"model:{space}", f"dim:{space}"))
            self._bump(conn)

    def texts_missing_vectors(self, space: str, column: str, limit: int) -> list[tuple[int, str]]:
        """(id, text) of analysed rows whose ``column`` text has no vector in ``space`` yet."""
        if column not in ("caption", "user_caption", "prompt"):
            raise ValueError(column)
        rows = self._read(
            f"""SELECT i.id, i.{column} FROM images i
                WHERE i.status = 'ok' AND coalesce(i.{column}, '') != ''
                  AND NOT EXISTS (SELECT 1 FROM embeddings e
                                  WHERE e.image_id = i.id AND e.space = ?)
                ORDER BY i.id LIMIT ?""",
            (space, limit),
        ).fetchall()
        return [(int(i), str(t)) for i, t in rows]

    def set_user_captions(self, captions: dict[str, str], space: str) -> int:
        """Attach people's captions by path; a changed caption loses its stale vector."""
        changed = 0
        with self.transaction() as conn:
            for path, text in captions.items():
                row = conn.execute(
                    "UPDATE images SET user_caption = ?, updated_at = ? WHERE path = ? "
                    "AND coalesce(user_caption, '') != ? RETURNING id",
                    (text, now_iso(), path, text),
                ).fetchone()
                if row is not None:
                    changed += 1
                    conn.execute(
                        "DELETE FROM embeddings WHERE image_id = ? AND space = ?", (row[0], space)
                    )
            if changed:
                self._bump(conn)
        return changed

    def commit_analyses(self, analyses: Sequence[Analysis]) -> None:
        """Store one batch of results atomically (a crash loses at most this batch)."""
        if not analyses:
            return
        now = now_iso()
        with self.transaction() as conn:
            for a in analyses:
                self._forget_changed_texts(conn, a)
                cur = conn.execute(
                    """UPDATE images SET sha256 = ?, size = ?, mtime_ns = ?, width = ?,
                           height = ?, format = ?, taken_at = ?, caption = ?, status = 'ok',
                           error = NULL, embedder = ?, captioner = ?, updated_at = ?,
                           facets = ?, tags = ?, ocr_text = ?, captioner_runtime = ?,
                           prompt = ?, generator = ?, ai_generated = ?, generation = ?,
                           agreement = ?
                       WHERE path = ? RETURNING id""",
                    (
                        a.sha256,
                        a.size,
                        a.mtime_ns,
                        a.width,
                        a.height,
                        a.format,
                        a.taken_at,
                        a.caption,
                        a.embedder,
                        a.captioner,
                        now,
                        a.facets,
                        a.tags,
                        a.ocr_text,
                        a.captioner_runtime,
                        a.prompt,
                        a.generator,
                        int(a.ai_generated),
                        a.generation,
                        a.agreement,
                        a.path,
                    ),
                ).fetchone()
                if cur is None:
                    continue  # row was pruned meanwhile; nothing to attach the result to
                if a.maps is not None:
                    self._put_maps(conn, int(cur[0]), a.maps)
                for space, (model, vector) in a.vectors.items():
                    self._put_vector(conn, int(cur[0]), space, model, vector, a.embedder_runtime)
            self._bump(conn)

    @staticmethod
    def _forget_changed_texts(conn: sqlite3.Connection, a: Analysis) -> None:
        """A re-analysed file whose caption or prompt changed loses that text's vector, so
        the next text sweep recomputes it from the new text instead of keeping the old."""
        old = conn.execute("SELECT id, caption, prompt FROM images WHERE path = ?", (a.path,))
        row = old.fetchone()
        if row is None:
            return
        for space, text, new in (
            (CAPTION_SPACE, row[1], a.caption),
            (PROMPT_SPACE, row[2], a.prompt),
        ):
            if text != new:
                conn.execute(
                    "DELETE FROM embeddings WHERE image_id = ? AND space = ?", (row[0], space)
                )

    @staticmethod
    def _put_maps(conn: sqlite3.Connection, image_id: int, maps: dict[str, bytes]) -> None:
        """Replace the named maps of one image (maps of facets not recomputed stay)."""
        conn.executemany(
            "INSERT OR REPLACE INTO facet_maps(image_id, name, png) VALUES (?, ?, ?)",
            [(image_id, name, png) for name, png in maps.items()],
        )

    def facet_map(self, image_id: int, name: str) -> bytes | None:
        """One stored map of an image (PNG bytes), or None."""
        if not 0 <= image_id <= MAX_INT:
            return None
        rows = self._read(
            "SELECT png FROM facet_maps WHERE image_id = ? AND name = ?", (image_id, name)
        )
        return bytes(rows[0][0]) if rows else None

    def map_names(self, image_id: int) -> list[str]:
        if not 0 <= image_id <= MAX_INT:
            return []
        rows = self._read(
            "SELECT name FROM facet_maps WHERE image_id = ? ORDER BY name", (image_id,)
        )
        return [str(r[0]) for r in rows]

    def mark_error(self, path: str, reason: str, sha256: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                """UPDATE images SET status = 'error', error = ?, sha256 = coalesce(?, sha256),
                       updated_at = ? WHERE path = ?""",
                (reason, sha256, now_iso(), path),
            )
            conn.execute(
                "DELETE FROM embeddings WHERE image_id = (SELECT id FROM images WHERE path = ?)",
                (path,),
            )
            self._bump(conn)

    def move(self, source: ImageRow, new_path: str, size: int, mtime_ns: int) -> None:
        """A file moved: keep its id and results, drop the pending row at its new path."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM images WHERE path = ?", (new_path,))
            conn.execute(
                """UPDATE images SET path = ?, folder = ?, size = ?, mtime_ns = ?,
                       updated_at = ? WHERE id = ?""",
                (new_path, str(Path(new_path).parent), size, mtime_ns, now_iso(), source.id),
            )

    def copy_result(self, source: ImageRow, path: str, sha256: str) -> None:
        """A byte-identical copy of an analysed file: reuse its results instead of recomputing."""
        now = now_iso()
        with self.transaction() as conn:
            target = conn.execute(
                """UPDATE images SET sha256 = ?, width = ?, height = ?, format = ?, taken_at = ?,
                       caption = ?, status = 'ok', error = NULL, embedder = ?, captioner = ?,
                       updated_at = ? WHERE path = ? RETURNING id""",
                (
                    sha256,
                    source.width,
                    source.height,
                    source.format,
                    source.taken_at,
                    source.caption,
                    source.embedder,
                    source.captioner,
                    now,
                    path,
                ),
            ).fetchone()
            if target is None:
                return
            conn.execute(
                """UPDATE images SET (facets, tags, ocr_text, captioner_runtime, prompt,
                       generator, ai_generated, generation, agreement) =
                       (SELECT facets, tags, ocr_text, captioner_runtime, prompt, generator,
                       ai_generated, generation, agreement FROM images WHERE id = ?)
                   WHERE id = ?""",
                (source.id, target[0]),
            )
            conn.execute(
                """INSERT OR REPLACE INTO embeddings(image_id, space, model, vector, runtime)
                   SELECT ?, space, model, vector, runtime FROM embeddings WHERE image_id = ?""",
                (target[0], source.id),
            )
            conn.execute(
                """INSERT OR REPLACE INTO facet_maps(image_id, name, png)
                   SELECT ?, name, png FROM facet_maps WHERE image_id = ?""",
                (target[0], source.id),
            )
            self._bump(conn)

    def delete(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        with self.transaction() as conn:
            marks = ",".join("?" * len(ids))
            conn.execute(f"DELETE FROM images WHERE id IN ({marks})", list(ids))
            self._bump(conn)
        return len(ids)

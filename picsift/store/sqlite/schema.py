"""Catalog schema and its migrations.

``PRAGMA user_version`` holds the schema version. Opening an older store applies the missing
migrations in one transaction; a store written by a newer picsift is refused rather than
guessed at, so no version ever rewrites data it does not understand.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import PurePath

from picsift.errors import StoreError
from picsift.wordsplit import split_cjk


def path_words(path: str) -> str:
    """Searchable words of a path: the last two folder names and the file stem."""
    p = PurePath(path)
    parts = [*p.parent.parts[-2:], p.stem]
    return " ".join(w for part in parts for w in re.split(r"[\W_]+", part) if w)


def register_functions(conn: sqlite3.Connection) -> None:
    """SQL functions the schema's triggers call; every connection that writes needs them."""
    conn.create_function("path_words", 1, path_words, deterministic=True)
    conn.create_function("split_cjk", 1, split_cjk, deterministic=True)


_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    folder TEXT NOT NULL,
    sha256 TEXT,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    format TEXT,
    taken_at TEXT,
    caption TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'error')),
    error TEXT,
    embedder TEXT,
    captioner TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX images_sha256 ON images(sha256);
CREATE INDEX images_status ON images(status);
CREATE INDEX images_folder ON images(folder);
CREATE TABLE embeddings (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    space TEXT NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (image_id, space)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE images_fts USING fts5(
    caption, tags, path_words, tokenize = 'porter unicode61'
);
CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_fts(rowid, caption, tags, path_words)
    VALUES (new.id, coalesce(new.caption, ''), '', new.path);
END;
CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
    DELETE FROM images_fts WHERE rowid = old.id;
END;
CREATE TRIGGER images_fts_update AFTER UPDATE OF caption, path ON images BEGIN
    UPDATE images_fts SET caption = coalesce(new.caption, ''), path_words = new.path
    WHERE rowid = new.id;
END;
INSERT INTO meta(key, value) VALUES ('generation', '0');
"""

# v2: people's own captions (alt text, sidecars) beside the model's, searchable; the full-text
# index gains that column, and path words are the folder names and file stem, not the full path
# (whose shared prefix would match every image).
_V2 = """
ALTER TABLE images ADD COLUMN user_caption TEXT;
DROP TRIGGER images_fts_insert;
DROP TRIGGER images_fts_delete;
DROP TRIGGER images_fts_update;
DROP TABLE images_fts;
CREATE VIRTUAL TABLE images_fts USING fts5(
    caption, user_caption, tags, path_words, tokenize = 'porter unicode61'
);
INSERT INTO images_fts(rowid, caption, user_caption, tags, path_words)
    SELECT id, coalesce(caption, ''), '', '', path_words(path) FROM images;
CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_fts(rowid, caption, user_caption, tags, path_words)
    VALUES (new.id, coalesce(new.caption, ''), coalesce(new.user_caption, ''), '',
            path_words(new.path));
END;
CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
    DELETE FROM images_fts WHERE rowid = old.id;
END;
CREATE TRIGGER images_fts_update AFTER UPDATE OF caption, user_caption, path ON images BEGIN
    UPDATE images_fts SET caption = coalesce(new.caption, ''),
        user_caption = coalesce(new.user_caption, ''), path_words = path_words(new.path)
    WHERE rowid = new.id;
END;
"""

# v3: auto-named categories. One categorisation is current; ids persist across re-clustering
# (AUTOINCREMENT: a category that died never lends its id to another), a person's rename is
# kept apart from the automatic name so it survives re-clustering, and Unsorted images are
# memberships without a category (with a suggested one when close enough).
_V3 = """
CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES categories(id) ON DELETE SET NULL,
    is_parent INTEGER NOT NULL DEFAULT 0,
    space TEXT NOT NULL,
    name TEXT NOT NULL,
    user_name TEXT,
    keywords TEXT NOT NULL DEFAULT '[]',
    confidence REAL NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    centroid BLOB,
    join_threshold REAL,
    representatives TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX categories_parent ON categories(parent_id);
CREATE TABLE memberships (
    image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    category_id INTEGER REFERENCES categories(id) ON DELETE SET NULL,
    probability REAL NOT NULL DEFAULT 0,
    suggested_id INTEGER REFERENCES categories(id) ON DELETE SET NULL,
    suggested_similarity REAL,
    x REAL,
    y REAL,
    assigned_by TEXT NOT NULL DEFAULT 'cluster'
);
CREATE INDEX memberships_category ON memberships(category_id);
CREATE TABLE cluster_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    space TEXT NOT NULL,
    created_at TEXT NOT NULL,
    params TEXT NOT NULL,
    report TEXT NOT NULL
);
"""

# v4: facets computed at indexing time (JSON), words derived from them (colour names, framing,
# later tags) and text read in the image; both feed the full-text index's ``tags`` column.
_V4 = """
ALTER TABLE images ADD COLUMN facets TEXT;
ALTER TABLE images ADD COLUMN tags TEXT;
ALTER TABLE images ADD COLUMN ocr_text TEXT;
DROP TRIGGER images_fts_insert;
DROP TRIGGER images_fts_update;
CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_fts(rowid, caption, user_caption, tags, path_words)
    VALUES (new.id, coalesce(new.caption, ''), coalesce(new.user_caption, ''),
            trim(coalesce(new.tags, '') || ' ' || coalesce(new.ocr_text, '')),
            path_words(new.path));
END;
CREATE TRIGGER images_fts_update
AFTER UPDATE OF caption, user_caption, path, tags, ocr_text ON images BEGIN
    UPDATE images_fts SET caption = coalesce(new.caption, ''),
        user_caption = coalesce(new.user_caption, ''),
        tags = trim(coalesce(new.tags, '') || ' ' || coalesce(new.ocr_text, '')),
        path_words = path_words(new.path)
    WHERE rowid = new.id;
END;
"""

# v5: which runtime produced each vector and caption ("torch", "onnx-int8", "bf16", ...). The
# runtimes of one model share its index (their vectors agree within the tolerances the accuracy
# tests hold), so this is provenance, not identity; NULL means stored before v5.
_V5 = """
ALTER TABLE embeddings ADD COLUMN runtime TEXT;
ALTER TABLE images ADD COLUMN captioner_runtime TEXT;
"""

# v6: small maps the structure facets keep per image (depth, regions, edges), as PNG bytes:
# overlays on the image page and control signals for edits. Gone with their image.
_V6 = """
CREATE TABLE facet_maps (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    png BLOB NOT NULL,
    PRIMARY KEY (image_id, name)
) WITHOUT ROWID;
"""

# Index i holds the script that takes a store from version i to i + 1.
# v7: captions (and text read in images) in Chinese, Japanese and Korean are searchable by word:
# the full-text index holds their CJK runs as character bigrams (picsift.wordsplit), as queries
# are split the same way. The triggers are v4's with that split added.
_V7 = """
DROP TRIGGER images_fts_insert;
DROP TRIGGER images_fts_update;
UPDATE images_fts SET
    caption = (SELECT coalesce(split_cjk(i.caption), '') FROM images i
               WHERE i.id = images_fts.rowid),
    user_caption = (SELECT coalesce(split_cjk(i.user_caption), '') FROM images i
                    WHERE i.id = images_fts.rowid),
    tags = (SELECT trim(coalesce(i.tags, '') || ' ' || coalesce(split_cjk(i.ocr_text), ''))
            FROM images i WHERE i.id = images_fts.rowid)
WHERE rowid IN (SELECT id FROM images WHERE split_cjk(caption) != caption
                OR split_cjk(user_caption) != user_caption
                OR split_cjk(ocr_text) != ocr_text);
CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_fts(rowid, caption, user_caption, tags, path_words)
    VALUES (new.id, coalesce(split_cjk(new.caption), ''),
            coalesce(split_cjk(new.user_caption), ''),
            trim(coalesce(new.tags, '') || ' ' || coalesce(split_cjk(new.ocr_text), '')),
            path_words(new.path));
END;
CREATE TRIGGER images_fts_update
AFTER UPDATE OF caption, user_caption, path, tags, ocr_text ON images BEGIN
    UPDATE images_fts SET caption = coalesce(split_cjk(new.caption), ''),
        user_caption = coalesce(split_cjk(new.user_caption), ''),
        tags = trim(coalesce(new.tags, '') || ' ' || coalesce(split_cjk(new.ocr_text), '')),
        path_words = path_words(new.path)
    WHERE rowid = new.id;
END;
"""

# v8: edits. A variant is an image of the library made from another by an edit; its link, and
# the edit jobs the API runs (a job still queued or running at start-up was interrupted).
_V8 = """
CREATE TABLE variants (
    image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    original_id INTEGER REFERENCES images(id) ON DELETE SET NULL,
    instruction TEXT NOT NULL,
    method TEXT NOT NULL,
    seed INTEGER NOT NULL,
    structure REAL NOT NULL,
    effect REAL NOT NULL,
    scores TEXT NOT NULL,
    settings TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX variants_original ON variants(original_id);
CREATE TABLE edit_jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    request TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    variant_ids TEXT NOT NULL DEFAULT '[]',
    result TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
"""

# v9: generated images. The prompt, generator and AI flag a file's metadata names (details,
# the negative prompt and settings, as JSON), and the prompt's agreement with the picture. The
# prompt is a caption source of its own: the full-text index gains a ``prompt`` column, and
# FTS5 cannot add one, so the index is rebuilt from the rows (v7's triggers, plus prompt).
_V9 = """
ALTER TABLE images ADD COLUMN prompt TEXT;
ALTER TABLE images ADD COLUMN generator TEXT;
ALTER TABLE images ADD COLUMN ai_generated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN generation TEXT;
ALTER TABLE images ADD COLUMN agreement TEXT;
CREATE INDEX images_generator ON images(generator) WHERE generator IS NOT NULL;
DROP TRIGGER images_fts_insert;
DROP TRIGGER images_fts_delete;
DROP TRIGGER images_fts_update;
DROP TABLE images_fts;
CREATE VIRTUAL TABLE images_fts USING fts5(
    caption, user_caption, tags, path_words, prompt, tokenize = 'porter unicode61'
);
INSERT INTO images_fts(rowid, caption, user_caption, tags, path_words, prompt)
    SELECT id, coalesce(split_cjk(caption), ''), coalesce(split_cjk(user_caption), ''),
           trim(coalesce(tags, '') || ' ' || coalesce(split_cjk(ocr_text), '')),
           path_words(path), '' FROM images;
CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_fts(rowid, caption, user_caption, tags, path_words, prompt)
    VALUES (new.id, coalesce(split_cjk(new.caption), ''),
            coalesce(split_cjk(new.user_caption), ''),
            trim(coalesce(new.tags, '') || ' ' || coalesce(split_cjk(new.ocr_text), '')),
            path_words(new.path), coalesce(split_cjk(new.prompt), ''));
END;
CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
    DELETE FROM images_fts WHERE rowid = old.id;
END;
CREATE TRIGGER images_fts_update
AFTER UPDATE OF caption, user_caption, path, tags, ocr_text, prompt ON images BEGIN
    UPDATE images_fts SET caption = coalesce(split_cjk(new.caption), ''),
        user_caption = coalesce(split_cjk(new.user_caption), ''),
        tags = trim(coalesce(new.tags, '') || ' ' || coalesce(split_cjk(new.ocr_text), '')),
        path_words = path_words(new.path), prompt = coalesce(split_cjk(new.prompt), '')
    WHERE rowid = new.id;
END;
"""

MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, where: str) -> int:
    """Bring ``conn`` up to :data:`SCHEMA_VERSION`; returns the version found on disk."""
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"the store at {where} has schema version {found}, newer than this picsift "
            f"understands ({SCHEMA_VERSION}); upgrade picsift to open it"
        )
    if found == SCHEMA_VERSION:
        return found
    try:
        conn.execute("BEGIN IMMEDIATE")
        for version in range(found, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        raise StoreError(f"could not migrate the store at {where}: {exc}") from exc
    return found


def _statements(script: str) -> list[str]:
    """Split a script on complete statements (triggers contain inner semicolons)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out

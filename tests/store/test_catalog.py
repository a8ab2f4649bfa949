"""Catalog schema, versioning, full-text triggers and model binding."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from picsift.errors import ModelMismatchError, StoreError
from picsift.store import Analysis, Catalog
from picsift.store.sqlite.schema import SCHEMA_VERSION


def _analysis(path: str, caption: str, vec: list[float]) -> Analysis:
    return Analysis(
        path,
        "ab" * 32,
        10,
        1,
        4,
        3,
        "JPEG",
        None,
        caption,
        "m:1",
        "c:1",
        {"image": ("m:1", np.asarray(vec, np.float32))},
    )


def test_new_catalog_is_at_current_version(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.db")
    assert cat._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert cat._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this picsift"):
        Catalog(db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_commit_bumps_generation_and_feeds_full_text(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.db")
    cat.add_pending([("/p/red_car-night.jpg", 10, 1)])
    g0 = cat.generation()
    cat.bind_model("image", "m:1", 2)
    cat.commit_analyses([_analysis("/p/red_car-night.jpg", "A red sports car.", [1, 0])])
    assert cat.generation() == g0 + 1
    hits = cat._conn.execute(
        "SELECT rowid FROM images_fts WHERE images_fts MATCH 'car AND night'"
    ).fetchall()
    assert len(hits) == 1
    ids, vecs = cat.embeddings("image")
    assert ids.tolist() == [1] and vecs.shape == (1, 2)


def test_the_runtime_behind_each_vector_and_caption_is_recorded(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.db")
    cat.add_pending([("/p/a.jpg", 10, 1), ("/p/b.jpg", 10, 1), ("/p/copy.jpg", 10, 1)])
    cat.bind_model("image", "m:1", 2)
    a = _analysis("/p/a.jpg", "x", [1, 0])
    b = _analysis("/p/b.jpg", "y", [0, 1])
    # one model's runtimes share its index: an export added later fills the same space
    cat.commit_analyses([replace(a, embedder_runtime="torch", captioner_runtime="torch")])
    cat.commit_analyses([replace(b, embedder_runtime="onnx-int8", captioner_runtime="bf16")])
    source = cat.rows_under("/p")["/p/b.jpg"]
    cat.copy_result(source, "/p/copy.jpg", source.sha256 or "")
    assert cat.runtime_counts("image") == {"torch": 1, "onnx-int8": 2}
    runtimes = dict(cat._conn.execute("SELECT path, captioner_runtime FROM images").fetchall())
    assert runtimes == {"/p/a.jpg": "torch", "/p/b.jpg": "bf16", "/p/copy.jpg": "bf16"}


def test_binding_a_second_model_is_refused(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.db")
    cat.add_pending([("/p/a.jpg", 10, 1)])
    cat.bind_model("image", "m:1", 2)
    cat.commit_analyses([_analysis("/p/a.jpg", "x", [1, 0])])
    with pytest.raises(ModelMismatchError):
        cat.bind_model("image", "m:2", 2)
    assert cat.space_model("image") == "m:1"


def test_ids_are_never_reused(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.db")
    cat.add_pending([("/p/a.jpg", 1, 1), ("/p/b.jpg", 1, 1)])
    top = max(r.id for r in cat.rows_under("/p").values())
    cat.delete([top])
    cat.add_pending([("/p/c.jpg", 1, 1)])
    assert cat.rows_under("/p")["/p/c.jpg"].id > top

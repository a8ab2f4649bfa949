"""Reading a catalog from outside while another process writes (or was killed writing) it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def ok_rows(db: Path) -> int:
    """Analysed rows so far; 0 while the catalog does not exist or is locked."""
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM images WHERE status='ok'").fetchone()[0])
    except sqlite3.Error:
        return 0

"""kill -9 in the middle of indexing, then resume: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from tests.conftest import SAMPLES
from tests.indexer.catalog_rows import ok_rows


def _variants(folder: Path, count: int) -> int:
    """Distinct real photos (crops/flips of the samples), so no two files share a hash."""
    folder.mkdir()
    sources = sorted(SAMPLES.glob("*.jpg"))
    for i in range(count):
        with Image.open(sources[i % len(sources)]) as im:
            img = im.convert("RGB")
        w, h = img.size
        img = img.crop((i % 7, i % 5, w - (i % 11), h - (i % 3)))
        if (i // len(sources)) % 2:
            img = ImageOps.mirror(img)
        img.save(folder / f"v{i:04d}.jpg", quality=80 + i % 15)
    return count


def _index_cmd(folder: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "picsift",
        "index",
        str(folder),
        "-m",
        "tiny",
        "--batch-size",
        "2",
        "--json",
    ]


@pytest.mark.usefixtures("tiny_env")
def test_kill_9_mid_run_then_resume(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    total = _variants(folder, 160)
    home = Path(os.environ["PICSIFT_HOME"])
    db = home / "catalog.db"
    kills = 0
    for threshold in (6, 40):
        proc = subprocess.Popen(
            _index_cmd(folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 120
        while ok_rows(db) < threshold and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1, "indexing finished before it could be killed"
    assert ok_rows(db) < total

    done = subprocess.run(_index_cmd(folder), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, path, status FROM images").fetchall()
        query = "SELECT count(*) FROM embeddings WHERE space = 'image'"
        vectors = conn.execute(query).fetchone()[0]
    assert len(rows) == total == vectors
    assert len({r[0] for r in rows}) == len({r[1] for r in rows}) == total
    assert {r[2] for r in rows} == {"ok"}
    status = subprocess.run(
        [sys.executable, "-m", "picsift", "status", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert '"index_in_sync": true' in status.stdout and f'"index_vectors": {total}' in status.stdout

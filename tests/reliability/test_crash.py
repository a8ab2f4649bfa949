"""kill -9 at random moments of indexing, clustering and thumbnail making.

After every kill the store must be consistent (``picsift status`` agrees with the catalog);
the next run must complete; no row may be lost or duplicated, ids must stay with their files
(moves included) and the FAISS file must hold exactly the catalog's vectors.

The commands are the real CLI (``picsift.cli.app``) with the fake models, in children forked
from a forkserver that has imported picsift once: a child starts in milliseconds, so the test
can afford dozens of kills. The seed is ``PICSIFT_CRASH_SEED`` (printed on failure).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import time
from collections.abc import Iterator
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from picsift.api.thumbnails import SIZES
from picsift.cli import app
from picsift.cli.common import EXIT_OK
from picsift.store import Catalog
from picsift.store.faiss.index_files import files_of, read_stamp
from tests.conftest import SAMPLES
from tests.reliability import checks, fakecli

SEED = int(os.environ.get("PICSIFT_CRASH_SEED", "20261122"))
INDEX_KILLS = 22
runner = CliRunner()


@pytest.fixture(scope="module")
def forkserver() -> ForkServerContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(fakecli.PRELOAD)
    return ctx


class Library:
    """A folder of small, distinct JPEGs (crops of the sample photos), changed between runs."""

    def __init__(self, folder: Path, rng: random.Random) -> None:
        folder.mkdir()
        self.folder = folder
        self.rng = rng
        self.bases = []
        for path in sorted(SAMPLES.glob("*.jpg")):
            with Image.open(path) as im:
                im.draft("RGB", (200, 200))
                small = im.convert("RGB")
            small.thumbnail((120, 120))
            self.bases.append(small)
        self.made = 0
        self.changes: list[str] = []  # what the last mutate() did, for failure messages

    def _image(self) -> Image.Image:
        n = self.made
        self.made += 1
        base = self.bases[n % len(self.bases)]
        w, h = base.size
        img = base.crop((n % 7, n % 5, w - n % 3, h - n % 4))
        img.putpixel((0, 0), (n % 256, (n // 256) % 256, 255))  # no two share their bytes
        return img

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.jpg"))

    def add(self, count: int) -> None:
        for _ in range(count):
            self._image().save(self.folder / f"p{self.made:04d}.jpg", quality=85)

    def mutate(self, ids: dict[str, int]) -> dict[str, int]:
        """Add, rewrite, move, copy and delete files; returns the ids each path must have
        after the next complete run (new files and copies get new ids, so are absent)."""
        expected = dict(ids)
        self.changes = []
        self.add(self.rng.randint(3, 8))
        known = [p for p in self.files() if str(p) in ids]
        self.rng.shuffle(known)
        if known and self.rng.random() < 0.5:  # new bytes, same path: same id
            rewritten = known.pop()
            self._image().save(rewritten, quality=80)
            self.changes.append(f"rewrote {rewritten.name}")
        if known and self.rng.random() < 0.5:  # moved: the id follows the file
            source = known.pop()
            target = source.with_name(f"moved-{self.made:04d}-{source.name}")
            source.rename(target)
            self.changes.append(f"moved {source.name} to {target.name}")
            # A new copy of the same bytes would be as much "the moved file" as the target:
            # either may take the id, so leave such copies out of this round.
            same = target.read_bytes()
            known = [p for p in known if p.read_bytes() != same]
            expected[str(target)] = expected.pop(str(source))
        if known and self.rng.random() < 0.3:  # a byte-identical copy: a new row
            source = known.pop()
            shutil.copy2(source, source.with_name(f"copy-{self.made:04d}.jpg"))
            self.changes.append(f"copied {source.name} to copy-{self.made:04d}.jpg")
        if known and self.rng.random() < 0.3:
            gone = known.pop()
            gone.unlink()
            self.changes.append(f"deleted {gone.name}")
            expected.pop(str(gone))
        return expected


class Runner:
    """Starts CLI children, kills them at random moments, and counts the kills."""

    def __init__(self, ctx: ForkServerContext, home: Path, log: Path, rng: random.Random):
        self.ctx = ctx
        self.env = {"PICSIFT_HOME": str(home), "PICSIFT_DECODE_WORKERS": "2"}
        self.log = str(log)
        self.rng = rng
        self.kills = 0
        self.finished_before_kill = 0

    def start(self, target: Any, args: tuple[Any, ...]) -> Any:
        proc = self.ctx.Process(target=target, args=args)
        proc.start()
        return proc

    def cli(self, *argv: str) -> Any:
        return self.start(fakecli.run, (list(argv), self.env, self.log))

    def kill_after(self, proc: Any, window: float) -> bool:
        """SIGKILL ``proc`` after a random part of ``window`` seconds; True if it was alive."""
        proc.join(self.rng.uniform(0.0, window))
        alive = proc.exitcode is None
        if alive:
            os.kill(proc.pid, signal.SIGKILL)
            self.kills += 1
        else:
            self.finished_before_kill += 1
        proc.join(30)
        assert proc.exitcode is not None, "a killed child did not end"
        assert proc.exitcode in (-signal.SIGKILL, 0, 1), self.tail()
        return alive

    def complete(self, proc: Any, timeout: float = 120) -> float:
        started = time.monotonic()
        proc.join(timeout)
        assert proc.exitcode == EXIT_OK, self.tail()
        return time.monotonic() - started

    def tail(self) -> str:
        return Path(self.log).read_text(errors="replace")[-3000:] + f"\n(seed {SEED})"


def _status() -> dict[str, Any]:
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == EXIT_OK, result.output
    return json.loads(result.stdout)


def _check_after_kill(db: Path, where: str) -> None:
    assert checks.problems(db) == [], f"{where} (seed {SEED})"
    status = _status()
    counts = checks.counts(db)
    assert status["index_in_sync"], status
    assert (status["indexed"], status["errors"], status["pending"]) == (
        counts["ok"],
        counts["error"],
        counts["pending"],
    )
    assert status["vectors"] == counts["ok"] == status["index_vectors"]


def _faiss_matches_catalog(home: Path) -> None:
    """The FAISS file on disk holds exactly the catalog's image vectors, under their ids."""
    stamp = read_stamp(home / "vectors", "image")
    assert stamp is not None and stamp.kind == "flat"
    index = faiss.read_index(str(files_of(home / "vectors", stamp, "image").faiss))
    catalog = Catalog(home / "catalog.db")
    try:
        ids, vectors = catalog.embeddings("image")
    finally:
        catalog.close()
    stored_ids = faiss.vector_to_array(index.id_map)
    assert sorted(stored_ids.tolist()) == ids.tolist()
    rebuilt = np.stack([index.reconstruct(int(i)) for i in ids])
    np.testing.assert_allclose(rebuilt, vectors, atol=1e-6)


def _rows(db: Path) -> dict[str, tuple[int, str]]:
    with checks.connect(db) as conn:
        return {p: (i, s) for i, p, s in conn.execute("SELECT id, path, status FROM images")}


@pytest.fixture
def rng() -> Iterator[random.Random]:
    yield random.Random(SEED)


@pytest.mark.slow  # 15-40 s on 2 busy cores
def test_kill_9_during_indexing_clustering_and_thumbnails(
    forkserver: ForkServerContext, tmp_path: Path, rng: random.Random
) -> None:
    home = Path(os.environ["PICSIFT_HOME"])
    db = home / "catalog.db"
    lib = Library(tmp_path / "photos", rng)
    run = Runner(forkserver, home, tmp_path / "children.log", rng)
    lib.add(12)
    window = run.complete(run.cli("index", str(lib.folder), "--batch-size", "2"))
    ids = {p: i for p, (i, _s) in _rows(db).items()}
    top = max(ids.values())

    cycles = 0
    while run.kills < INDEX_KILLS:
        cycles += 1
        assert cycles <= 3 * INDEX_KILLS, f"only {run.kills} kills landed (seed {SEED})"
        expected = lib.mutate(ids)
        for _attempt in range(rng.choice((1, 1, 2))):
            proc = run.cli("index", str(lib.folder), "--batch-size", "2")
            if run.kill_after(proc, window * 1.2):
                _check_after_kill(db, f"index kill {run.kills}")
        window = run.complete(run.cli("index", str(lib.folder), "--batch-size", "2"))

        rows = _rows(db)
        assert set(rows) == {str(p) for p in lib.files()}, "rows lost or left behind"
        assert {s for _i, s in rows.values()} == {"ok"}
        for path, want in expected.items():
            assert rows[path][0] == want, f"{path} changed id {lib.changes} (seed {SEED})"
        fresh = [i for p, (i, _s) in rows.items() if p not in expected]
        assert all(i > top for i in fresh), "an id was reused"
        ids = {p: i for p, (i, _s) in rows.items()}
        top = max(top, *ids.values())
        assert checks.problems(db) == []
        _faiss_matches_catalog(home)
    status = _status()
    assert status["image_index_was_in_sync"] and status["indexed"] == len(lib.files())

    # Clustering: the categorisation is replaced in one transaction, so a kill leaves the old
    # one or the new one, never a mix.
    cluster = ("cluster", "--min-size", "2", "--json")
    for _ in range(3):
        if run.kill_after(run.cli(*cluster), 1.0):
            _check_categories(db)
    window = run.complete(run.cli(*cluster))
    for _ in range(3):
        if run.kill_after(run.cli(*cluster), window * 1.2):
            _check_categories(db)
    run.complete(run.cli(*cluster))
    listing = json.loads(runner.invoke(app, ["categories", "--json"]).stdout)
    sizes = sum(c["size"] for c in listing["categories"] if not c["is_parent"])
    assert sizes + listing["unsorted"] == len(lib.files())

    # Thumbnails: written to a temporary name and renamed, so a kill leaves none half-made.
    thumbs = home / "thumbnails"
    started = time.monotonic()
    for _ in range(4):
        proc = run.start(fakecli.make_thumbnails, (str(home), run.log))
        if run.kill_after(proc, max(0.5, time.monotonic() - started)):
            _check_thumbnails(thumbs, complete=False)
    run.complete(run.start(fakecli.make_thumbnails, (str(home), run.log)))
    with checks.connect(db) as conn:  # byte-identical copies share their thumbnails
        distinct = conn.execute("SELECT count(DISTINCT sha256) FROM images").fetchone()[0]
    _check_thumbnails(thumbs, complete=True, expected=distinct * len(SIZES))
    assert checks.problems(db) == []
    assert run.kills >= 20, f"{run.kills} kills (seed {SEED})"
    print(
        f"crash test: {run.kills} kills survived in {cycles} index cycles, "
        f"{run.finished_before_kill} runs finished before their kill, "
        f"{len(lib.files())} photos, "
        f"{len(list((home / 'vectors').glob('*.tmp')))} temporary vector files left, "
        f"{len(list(thumbs.rglob('*.tmp')))} temporary thumbnails left (seed {SEED})"
    )


def _check_categories(db: Path) -> None:
    assert checks.problems(db) == []
    with checks.connect(db) as conn:
        dangling = conn.execute(
            "SELECT count(*) FROM memberships m LEFT JOIN categories c ON c.id = m.category_id "
            "WHERE m.category_id IS NOT NULL AND c.id IS NULL"
        ).fetchone()[0]
        sizes = conn.execute(
            "SELECT c.id, c.size, (SELECT count(*) FROM memberships m WHERE m.category_id = c.id)"
            " FROM categories c WHERE c.is_parent = 0 AND c.size > 0"
        ).fetchall()
    assert dangling == 0
    assert all(size == members for _id, size, members in sizes), sizes
    result = runner.invoke(app, ["categories", "--json"])
    assert result.exit_code == EXIT_OK, result.output


def _check_thumbnails(folder: Path, *, complete: bool, expected: int = 0) -> None:
    made = sorted(folder.rglob("*.jpg")) if folder.exists() else []
    for path in made:
        with Image.open(path) as im:
            im.load()  # raises on a torn JPEG
            assert max(im.size) <= int(path.parent.parent.name)
    if complete:
        assert len(made) == expected

"""Distributed indexing on a real two-node Ray cluster (loopback), against the local indexer.

The same few hundred real photos are indexed once locally and then through Ray: the catalogs
must match row for row, with the same vectors. A worker killed mid-run and a driver killed
mid-run must both end in that same catalog.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CLOTHING
from tests.indexer.catalog_rows import ok_rows
from tests.indexer.ray_cluster import RayCluster

pytest.importorskip("ray", reason="needs the ray extra: pip install 'picsift[ray]'")

PHOTOS = 200
ROW_COLUMNS = "path, sha256, status, caption, width, height, format, taken_at, facets, tags"

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (CLOTHING / "images").is_dir():
        pytest.skip("needs ../shared/datasets/clothing (present in CI, absent in a plain clone)")
    folder = tmp_path_factory.mktemp("clothing")
    for name in sorted(os.listdir(CLOTHING / "images"))[:PHOTOS]:
        (folder / name).symlink_to(CLOTHING / "images" / name)
    return folder


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    running = RayCluster(tmp_path_factory.mktemp("ray"), nodes=2).start()
    try:
        yield running
    finally:
        running.stop()


def _env(cluster: RayCluster, home: Path, models: Path) -> dict[str, str]:
    return cluster.env | {"PICSIFT_HOME": str(home), "PICSIFT_MODELS_DIR": str(models)}


def _index(folder: Path, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "picsift", "index", str(folder), "-m", "tiny", "--json"]
    return [*cmd, "--batch-size", "4", *extra]


@pytest.fixture(scope="module")
def local_db(
    photo_dir: Path, tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    home = tmp_path_factory.mktemp("local-home")
    env = dict(os.environ, PICSIFT_HOME=str(home), PICSIFT_MODELS_DIR=str(tiny_models_dir))
    done = subprocess.run(_index(photo_dir), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["indexed"] == PHOTOS
    return home / "catalog.db"


def _catalog(db: Path) -> tuple[dict[str, tuple[object, ...]], dict[str, np.ndarray]]:
    with sqlite3.connect(db) as conn:
        rows = {r[0]: tuple(r[1:]) for r in conn.execute(f"SELECT {ROW_COLUMNS} FROM images")}
        vectors = {
            r[0]: np.frombuffer(r[1], np.float32)
            for r in conn.execute(
                "SELECT i.path, e.vector FROM embeddings e JOIN images i ON i.id = e.image_id "
                "WHERE e.space = 'image'"
            )
        }
    return rows, vectors


def _assert_same_catalog(expected: Path, actual: Path) -> None:
    want_rows, want_vectors = _catalog(expected)
    got_rows, got_vectors = _catalog(actual)
    assert got_rows == want_rows
    assert got_vectors.keys() == want_vectors.keys()
    for path, vector in want_vectors.items():
        np.testing.assert_allclose(got_vectors[path], vector, atol=1e-5, err_msg=path)


def _start_and_wait(cmd: list[str], env: dict[str, str], db: Path, rows: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while ok_rows(db) < rows and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    return proc


def test_ray_run_matches_the_local_catalog_and_reruns_skip_everything(
    cluster: RayCluster, photo_dir: Path, local_db: Path, tiny_models_dir: Path, tmp_path: Path
) -> None:
    env = _env(cluster, tmp_path / "home", tiny_models_dir)
    cmd = _index(photo_dir, "--ray", cluster.address)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["indexed"] == PHOTOS
    # the cluster's share of the time, without the driver's commits counted twice
    stages = summary["stage_seconds"]
    assert stages["remote analysis"] > 0 and stages["commit"] > 0
    _assert_same_catalog(local_db, tmp_path / "home" / "catalog.db")

    again = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["indexed"], report["unchanged"]) == (0, PHOTOS)


def test_a_worker_killed_mid_run_is_survived(
    cluster: RayCluster, photo_dir: Path, local_db: Path, tiny_models_dir: Path, tmp_path: Path
) -> None:
    env = _env(cluster, tmp_path / "home", tiny_models_dir)
    db = tmp_path / "home" / "catalog.db"
    proc = _start_and_wait(_index(photo_dir, "--ray", cluster.address), env, db, 24)
    actors = cluster.pids("AnalyseFiles")
    assert actors, "no analysing actor found to kill"
    os.kill(actors[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert json.loads(out)["indexed"] == PHOTOS
    _assert_same_catalog(local_db, db)


def test_a_killed_driver_resumes_where_it_stopped(
    cluster: RayCluster, photo_dir: Path, local_db: Path, tiny_models_dir: Path, tmp_path: Path
) -> None:
    env = _env(cluster, tmp_path / "home", tiny_models_dir)
    db = tmp_path / "home" / "catalog.db"
    cmd = _index(photo_dir, "--ray", cluster.address)
    proc = _start_and_wait(cmd, env, db, 24)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    committed = ok_rows(db)
    assert 0 < committed < PHOTOS

    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["indexed"] == PHOTOS - committed  # nothing committed is redone
    _assert_same_catalog(local_db, db)

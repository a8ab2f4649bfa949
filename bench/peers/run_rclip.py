"""rclip's side of bench/bench_peers.py, run with rclip's venv python (RCLIP_DATADIR set by
the caller: one folder per store, the ONNX models linked in).

rclip 3.x ships ViT-B-32-256; the ONNX files here are picsift's ViT-B-32 at 224 px, so its
preprocessing size is set to 224 (``rclip/utils/preprocess.py`` reads IMAGE_SIZE per call).
index: ``RClip.ensure_index`` (walk, read and preprocess in its thread pool, ONNX batches,
SQLite rows and commit). fill: synthetic rows through rclip's own ``DB.upsert_image``.
query: ``RClip.search`` (reads the folder's vectors from SQLite, text tower, sort) to top 10.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import rclip.utils.preprocess as pre
from child import args, count_files, emit, query_times, synthetic_path, timed, unit
from PIL import Image

pre.IMAGE_SIZE = 224

from rclip import db as rdb  # noqa: E402
from rclip import main as rmain  # noqa: E402
from rclip.utils import helpers  # noqa: E402


def index(a: dict[str, Any]) -> dict[str, Any]:
    folder = os.path.abspath(a["photos"])
    rc, model, database = rmain.init_rclip(folder, a["batch_size"], no_indexing=True)
    model.compute_image_features([Image.new("RGB", (224, 224), "red")], for_indexing=True)
    _, seconds = timed(lambda: rc.ensure_index(folder))
    indexed = len(database.get_image_vectors_by_dir_path(folder).fetchall())
    assert indexed == count_files(folder), indexed
    rc.close()
    database.close()
    return {"indexed": indexed, "seconds": seconds}


def fill(a: dict[str, Any]) -> dict[str, Any]:
    data = np.load(a["vectors"]).astype(np.float32)
    database = rdb.DB(helpers.get_app_datadir() / "db.sqlite3")
    for i, vector in enumerate(data):
        image = rdb.NewImage(
            filepath=synthetic_path(a["root"], i),
            modified_at=0.0,
            size=1,
            vector=vector.tobytes(),
            hash=None,
        )
        database.upsert_image(image, commit=False)
    database.close()  # commits
    return {"rows": len(data)}


def query(a: dict[str, Any]) -> dict[str, Any]:
    root = a["root"]
    rc, model, database = rmain.init_rclip(root, 8, no_indexing=True)
    out = query_times(lambda q: rc.search(q, root, top_k=10), a["queries"])
    out["text_vector"] = unit(model.compute_text_features([a["queries"][0]])[0])
    rc.close()
    database.close()
    return out


if __name__ == "__main__":
    job = args()
    emit({"index": index, "fill": fill, "query": query}[job["mode"]](job))

"""picsift's side of bench/bench_peers.py, run with picsift's own venv python.

index: ``Indexer.run`` over a folder into a fresh store (scan, hash, decode in the sandbox,
batched CLIP embedding, SQLite commits, FAISS file), captioning replaced by a captioner that
returns nothing and costs nothing, no index facets, no caption-text model: the work the peers
do. fill: a store of synthetic unit vectors. query: ``SearchService.search`` to top 10 on the
CLIP channel, the one the peers have (no captions are stored, so the others have no data).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from child import args, count_files, emit, query_times, synthetic_path, timed, unit
from PIL import Image

from picsift.config import Settings
from picsift.models.presets import ModelSpec, Preset, PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.store import Analysis, Store


class _NoCaption:
    """Stands in for the captioner: the peers write no captions."""

    model_id = "none"
    runtime = "none"

    def caption(self, images: Sequence[Image.Image]) -> list[str]:
        return [""] * len(images)


class _Models(ModelProvider):
    def captioner(self) -> Any:
        return _NoCaption()


def _setup(a: dict[str, Any]) -> tuple[Settings, Preset, _Models]:
    base = PresetCatalog().preset("default")
    clip = ModelSpec(**{**base.embedder.__dict__, "path": a["clip"]})
    preset = Preset("bench-peers", clip, base.captioner, None, meaningless=True)
    settings = Settings(
        home=Path(a["home"]),
        threads=a["threads"],
        batch_size=a.get("batch_size", 8),
        index_facets=[],
        embedder_runtime=a.get("runtime", "torch"),
    )
    return settings, preset, _Models(settings, preset)


def index(a: dict[str, Any]) -> dict[str, Any]:
    from picsift.indexer import Indexer

    settings, _, models = _setup(a)
    models.embedder().embed_images([Image.new("RGB", (224, 224), "red")])  # load + warm up
    with Store(settings.home) as store:
        report, seconds = timed(lambda: Indexer(store, models, settings).run([Path(a["photos"])]))
    assert report.indexed == count_files(a["photos"]), report
    return {"indexed": report.indexed, "seconds": seconds, "stages": report.stages.seconds}


def fill(a: dict[str, Any]) -> dict[str, Any]:
    settings, preset, _ = _setup(a)
    data = np.load(a["vectors"])
    model_id = preset.embedder.model_id
    with Store(settings.home) as store:
        cat = store.catalog
        paths = [synthetic_path(a["root"], i) for i in range(len(data))]
        cat.add_pending((p, 1, 1) for p in paths)
        cat.bind_model("image", model_id, data.shape[1])
        for start in range(0, len(data), 5000):
            cat.commit_analyses(
                [
                    Analysis(
                        *(paths[i], f"{i:064x}", 1, 1, 640, 480, "JPEG", None, ""),
                        *(model_id, "none", {"image": (model_id, data[i])}),
                    )
                    for i in range(start, min(start + 5000, len(data)))
                ]
            )
        store.vector_index("image", save=True)
    return {"rows": len(data)}


def query(a: dict[str, Any]) -> dict[str, Any]:
    from picsift.search import SearchOptions, SearchService

    settings, _, models = _setup(a)
    options = SearchOptions(limit=10, weights={"clip": 1.0})  # the channel the peers have
    with Store(settings.home) as store:
        service = SearchService(store, models, settings)
        out = query_times(lambda q: service.search(q, options).hits, a["queries"])
        out["text_vector"] = unit(models.embedder().embed_texts([a["queries"][0]])[0])
    return out


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    job = args()
    emit({"index": index, "fill": fill, "query": query}[job["mode"]](job))

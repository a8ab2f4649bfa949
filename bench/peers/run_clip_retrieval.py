"""clip-retrieval's side of bench/bench_peers.py, run with clip-retrieval's venv python.

The model is open_clip ViT-B-32 loaded from picsift's own random-weight file
(``open_clip:ViT-B-32/<path>.safetensors``: open_clip takes a file as ``pretrained``).
index: what ``clip-retrieval inference`` then ``clip-retrieval index`` run, in one process:
its FilesReader (DataLoader workers), ClipMapper and NumpyWriter loop (the worker's Runner,
without its untimed set-up), then ``clip_index`` (autofaiss, which picks the index type by
size). fill: synthetic float16 embeddings and parquet metadata laid out as ``inference``
writes them, then ``clip_index``. query: the back end's resources (``load_clip_indices``) and
``KnnService``: compute_query (tokenize, encode_text, normalize), knn_search, metadata lookup.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from child import args, count_files, emit, query_times, synthetic_path, timed, unit


def _model(a: dict[str, Any]) -> str:
    return "open_clip:ViT-B-32/" + a["weights"]


def index(a: dict[str, Any]) -> dict[str, Any]:
    import autofaiss  # noqa: F401  imported before timing: clip_index imports it lazily
    import torch
    from all_clip import load_clip
    from clip_retrieval.clip_index import clip_index
    from clip_retrieval.clip_inference.mapper import ClipMapper
    from clip_retrieval.clip_inference.reader import FilesReader
    from clip_retrieval.clip_inference.runner import Sampler
    from clip_retrieval.clip_inference.writer import NumpyWriter

    torch.set_num_threads(a["threads"])
    batch, emb, idx = a["batch_size"], a["store"] + "/emb", a["store"] + "/index"
    load = {"use_jit": False, "warmup_batch_size": batch, "clip_cache_path": None}
    _, preprocess, tokenizer = load_clip(clip_model=_model(a), **load)  # load + its warm-up
    reader = FilesReader(
        Sampler(0, 1),
        preprocess,
        tokenizer,
        a["photos"],
        batch,
        a["workers"],
        enable_text=False,
        enable_image=True,
        enable_metadata=False,
    )
    mapper = ClipMapper(
        enable_image=True,
        enable_text=False,
        enable_metadata=False,
        use_mclip=False,
        clip_model=_model(a),
        use_jit=False,
        mclip_model="",
        warmup_batch_size=batch,
    )
    writer = NumpyWriter(
        partition_id=0,
        output_folder=emb,
        enable_text=False,
        enable_image=True,
        enable_metadata=False,
        output_partition_count=1,
    )

    def run() -> None:
        for item in reader:
            writer(mapper(item))
        writer.flush()
        clip_index(emb, idx, nb_cores=a["threads"])

    _, seconds = timed(run)
    indexed = int(np.load(f"{emb}/img_emb/img_emb_0.npy").shape[0])
    assert indexed == count_files(a["photos"]), indexed
    return {"indexed": indexed, "seconds": seconds, "index_key": _index_key(idx)}


def _index_key(idx: str) -> str:
    return str(json.loads(Path(idx, "image.json").read_text()).get("index_key"))


def fill(a: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd
    from clip_retrieval.clip_index import clip_index

    emb, idx = Path(a["store"], "emb"), a["store"] + "/index"
    data = np.load(a["vectors"]).astype(np.float16)  # what inference writes
    (emb / "img_emb").mkdir(parents=True)
    (emb / "metadata").mkdir()
    np.save(emb / "img_emb" / "img_emb_0.npy", data)
    paths = [synthetic_path(a["root"], i) for i in range(len(data))]
    pd.DataFrame({"image_path": paths}).to_parquet(emb / "metadata" / "metadata_0.parquet")
    clip_index(str(emb), idx, nb_cores=a["threads"])
    return {"rows": len(data), "index_key": _index_key(idx)}


def query(a: dict[str, Any]) -> dict[str, Any]:
    import torch
    from clip_retrieval.clip_back import ClipOptions, KnnService, load_clip_indices

    torch.set_num_threads(a["threads"])
    config = Path(a["store"], "indices_paths.json")
    config.write_text(json.dumps({"bench": {"indice_folder": a["store"] + "/index"}}))
    opts = ClipOptions(
        indice_folder="",
        clip_model=_model(a),
        enable_hdf5=False,
        enable_faiss_memory_mapping=False,
        columns_to_return=["image_path"],
        reorder_metadata_by_ivf_index=False,
        enable_mclip_option=False,
        use_jit=False,
        use_arrow=False,
        provide_safety_model=False,
        provide_violence_detector=False,
        provide_aesthetic_embeddings=False,
    )
    resource = load_clip_indices(str(config), opts)["bench"]
    svc = KnnService(clip_resources={"bench": resource})

    def search(q: str) -> list[Any]:
        vector = svc.compute_query(resource, q, None, None, None, False, None, None)
        _, ids = svc.knn_search(vector, "image", 10, resource, False, False, False)
        return list(resource.metadata_provider.get(ids[:10], ["image_path"]))

    out = query_times(search, a["queries"])
    first = svc.compute_query(resource, a["queries"][0], None, None, None, False, None, None)
    out["text_vector"] = unit(first)
    out["index_key"] = _index_key(a["store"] + "/index")
    return out


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    job = args()
    emit({"index": index, "fill": fill, "query": query}[job["mode"]](job))

"""picsift beside its peers, rclip and clip-retrieval: indexing rate, query latency, memory, disk.

Every tool runs the same model with the same weights: picsift's own random CLIP ViT-B/32
(``build_full_size_random("clip-vit-b-32")``, seed 0; same compute as the real one), built
once; clip-retrieval loads that very safetensors file through open_clip, rclip gets ONNX
exports of its two towers at 224 px (rclip ships ViT-B-32-256; its preprocessing is set to
224 so the network is exactly ViT-B/32). A text-vector cosine to picsift's is reported as
the check. Each tool runs in its own venv (peers: ``--peer-venvs``, default bench/.peers,
created with pip when missing) through a runner in bench/peers/ that prints JSON; every run
is a fresh child process, on ``--threads`` CPUs with torch/ORT/OMP at ``--threads``, and the
tools take turns, in a rotating order, for ``--rounds`` rounds; medians are reported.

1. Indexing: the first ``--images`` clothing photos (sorted names), copied to a folder, into
   a fresh store of each tool. Timed span, the same for all: from the call that indexes the
   folder until the tool's searchable index is on disk (scanning, reading, decoding,
   preprocessing, batched embedding at ``--batch-size``, writing the store, building its
   search index, worker pools started inside). Not timed, for all: process start-up,
   imports, model load and one warm-up forward pass (clip-retrieval's own warm-up included).
   picsift: ``Indexer.run`` with no captioner (one that returns "" at no cost), no index
   facets and no caption-text model, the embedder at ``--picsift-runtime``. rclip:
   ``RClip.ensure_index`` (SQLite). clip-retrieval: its inference loop (FilesReader with
   ``--threads`` DataLoader workers, ClipMapper, NumpyWriter) then ``clip_index`` (autofaiss).
2. Text query latency, query to top 10, at each of ``--sizes`` stored images: every store is
   filled with the same synthetic clustered unit vectors (bench_search.clustered) in the
   tool's own format (picsift: its store and FAISS file; rclip: its SQLite table;
   clip-retrieval: float16 .npy plus parquet metadata turned into a faiss index by its
   ``clip_index``), then the same ``--queries`` strings (3 caption words) are timed in
   process after one warm-up: text encoding, search and the result rows (paths). picsift:
   ``SearchService.search`` on its CLIP channel (no captions are stored, as in the peers);
   rclip: ``RClip.search``; clip-retrieval: ``KnnService`` compute_query + knn_search +
   metadata lookup (what /knn-service runs, less HTTP and its base64 thumbnails). p50 and
   p99 per round, medians over rounds.
3. Peak memory: ``ru_maxrss`` of each child, and the peak summed PSS of it and its worker
   processes (sampled every 0.2 s), for indexing and for querying.
4. Disk per image: picsift's whole home, rclip's db.sqlite3, clip-retrieval's index folder
   (its .npy/parquet embeddings folder is reported beside it as ``emb_bytes``).

Ratios: rate picsift/peer and latency peer/picsift (> 1: picsift better). Targets: picsift
indexes at least 1.5x as fast as the fastest peer and queries no slower than any peer.
Writes bench/results/peers.json and bench/results/peers.md.

Run: ``.venv/bin/python bench/bench_peers.py [--images 300] [--sizes 10000,100000]
[--rounds 3] [--queries 100] [--threads 2] [--batch-size 32] [--peer-venvs bench/.peers]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
from bench_search import DIM, caption_words, clustered
from peers.prepare import child_env, disk_bytes, ensure_venv, ensure_weights, run_child
from peers.report import TOOLS, markdown, ratios, summarise_index, summarise_query, text_cosines

REPO = Path(__file__).resolve().parent.parent
CLOTHING = REPO.parent / "shared" / "datasets" / "clothing" / "images"
RUNNERS = REPO / "bench" / "peers"
SYNTHETIC_ROOT = "/bench-peers/synthetic"


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, clip: Path, rclip_data: Path):
        self.args, self.work, self.clip, self.rclip_data = args, work, clip, rclip_data
        self.log = work / "children.log"
        self.python = {"picsift": Path(sys.executable)}
        for peer in TOOLS[1:]:
            self.python[peer] = ensure_venv(args.peer_venvs, peer)

    def run(self, tool: str, job: dict[str, Any], store: Path) -> dict[str, Any]:
        """One child of ``tool`` on ``store`` (a folder: picsift's home, rclip's data
        folder, clip-retrieval's output folder)."""
        job = {**job, "threads": self.args.threads, "root": SYNTHETIC_ROOT}
        extra = {}
        if tool == "picsift":
            job |= {"home": str(store), "clip": str(self.clip)}
            job |= {"runtime": self.args.picsift_runtime}
        elif tool == "rclip":
            extra["RCLIP_DATADIR"] = str(store)
            for name in ("tokenizer", "ViT-B-32-256-datacomp_s34b_b86k"):
                if not (store / name).exists():
                    (store / name).symlink_to(self.rclip_data / name)
        else:
            job |= {"store": str(store), "weights": str(self.clip / "open_clip_model.safetensors")}
        script = RUNNERS / f"run_{tool.replace('-', '_')}.py"
        env = child_env(self.args.threads, extra)
        return run_child(self.python[tool], script, job, env, self.log)

    @staticmethod
    def fresh(path: Path) -> Path:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    @staticmethod
    def disk(tool: str, store: Path) -> dict[str, int]:
        if tool == "rclip":
            return {"disk_bytes": disk_bytes(*store.glob("db.sqlite3*"))}
        if tool == "clip-retrieval":
            return {
                "disk_bytes": disk_bytes(store / "index"),
                "emb_bytes": disk_bytes(store / "emb"),
            }
        return {"disk_bytes": disk_bytes(store)}

    def index(self, photos: Path) -> dict[str, Any]:
        runs: dict[str, list[dict[str, Any]]] = {t: [] for t in TOOLS}
        job = {"mode": "index", "photos": str(photos), "batch_size": self.args.batch_size}
        job["workers"] = self.args.threads  # clip-retrieval's DataLoader workers
        for r in range(self.args.rounds):
            for tool in TOOLS[r % 3 :] + TOOLS[: r % 3]:
                store = self.fresh(self.work / "index" / tool)
                out = self.run(tool, job, store) | self.disk(tool, store)
                runs[tool].append(out)
                rate = out["indexed"] / out["seconds"]
                print(f"index round {r + 1} {tool}: {rate:.2f} images/s", flush=True)
        n = self.args.images
        return {t: summarise_index(runs[t], n) for t in TOOLS}

    def query(self, size: int, queries: list[str], vectors: dict[str, Any]) -> dict[str, Any]:
        data = clustered(size, 2, np.random.default_rng(0).standard_normal((2000, DIM), np.float32))
        path = self.work / f"vectors-{size}.npy"
        np.save(path, data)
        del data
        stores, disk = {}, {}
        for tool in TOOLS:
            stores[tool] = self.fresh(self.work / "query" / f"{tool}-{size}")
            self.run(tool, {"mode": "fill", "vectors": str(path)}, stores[tool])
            disk[tool] = self.disk(tool, stores[tool])["disk_bytes"]
        path.unlink()
        runs: dict[str, list[dict[str, Any]]] = {t: [] for t in TOOLS}
        for r in range(self.args.rounds):
            for tool in TOOLS[r % 3 :] + TOOLS[: r % 3]:
                out = self.run(tool, {"mode": "query", "queries": queries}, stores[tool])
                runs[tool].append(out)
                vectors[tool] = out.pop("text_vector")
                p50 = sorted(out["ms"])[len(out["ms"]) // 2]
                print(f"query {size} round {r + 1} {tool}: p50 {p50:.1f} ms", flush=True)
        for tool in TOOLS:
            shutil.rmtree(stores[tool], ignore_errors=True)
        return {t: summarise_query(runs[t], disk[t], size) for t in TOOLS}


def photos_folder(work: Path, n: int) -> Path:
    chosen = sorted(CLOTHING.glob("*.jpg"))[:n]
    folder = work / f"photos-{n}"
    if sorted(p.name for p in folder.glob("*.jpg")) != [p.name for p in chosen]:
        Bench.fresh(folder)
        for p in chosen:
            shutil.copyfile(p, folder / p.name)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--sizes", default="10000,100000", help="stored images for queries; '' = none")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=100, help="query strings per round")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32, help="indexing batch, every tool")
    ap.add_argument("--picsift-runtime", default="torch", choices=["torch", "onnx", "onnx-int8"])
    venvs = "folder holding rclip/venv and clip-retrieval/venv (made when missing)"
    ap.add_argument("--peer-venvs", type=Path, default=REPO / "bench" / ".peers", help=venvs)
    ap.add_argument("--skip-index", action="store_true")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "peers.json")
    args = ap.parse_args()
    if not CLOTHING.is_dir():
        print(f"skipped: {CLOTHING} is missing; this benchmark needs the clothing photos")
        return
    work = REPO / "bench" / ".peers" / "work"
    work.mkdir(parents=True, exist_ok=True)
    clip, rclip_data = ensure_weights(REPO / "bench" / ".peers")
    if args.picsift_runtime != "torch":  # picsift's `models export`, untimed set-up
        from picsift.models.onnx_clip import export_clip

        export_clip(clip, int8=args.picsift_runtime == "onnx-int8")
    bench = Bench(args, work, clip, rclip_data)
    words, freq = caption_words()
    rng = np.random.default_rng(5)
    queries = [" ".join(rng.choice(words, 3, p=freq)) for _ in range(args.queries)]
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    result: dict[str, Any] = {
        "note": "same random-weight CLIP ViT-B/32 in every tool: speed, memory and disk only",
        "config": config | {"cpus": os.cpu_count()},
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    if not args.skip_index:
        result["index"] = bench.index(photos_folder(work, args.images))
    vectors: dict[str, Any] = {}
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes:
        result["query"] = {str(n): bench.query(n, queries, vectors) for n in sizes}
        result["text_cosine_to_picsift"] = text_cosines(vectors)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["ratios"] = ratios(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    print(json.dumps(result["ratios"], indent=2))
    print(markdown(result))


if __name__ == "__main__":
    main()

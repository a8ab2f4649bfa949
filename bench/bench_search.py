"""Search latency vs library size: exact (flat) beside approximate (HNSW), and end to end.

(The store no longer builds HNSW: it chooses flat, IVF or IVF-PQ by size, measured by
bench/bench_scale.py. HNSW stays here, built with the parameters picsift used, as the
reference this benchmark's earlier figures were taken with.)

Vectors are synthetic but clustered like real embeddings (unit-norm points around 2,000
random centres in 512-d); queries come from the same distribution and are not in the index.

1. Index level, for each size: build time, memory of the index, p50/p99 latency of one
   k=10 query, and recall@10 of HNSW against exact search (the ratio flat/HNSW p50 is the
   speed-up).
2. End to end in process at ``--e2e-size``: a store with that many rows (synthetic captions
   for the words channel: 12 words drawn with Zipf frequencies from the shipped vocabulary's
   words, as real caption text is distributed), the default CLIP architecture's *text tower
   at random weights* (same compute as the real one) embedding each query, then
   ``SearchService.search`` (CLIP + words channels, fusion, rows, near-duplicate check);
   p50/p99 per query. 3. The same store over HTTP (``picsift serve`` on loopback).

Run: ``.venv/bin/python bench/bench_search.py [--sizes 10000,100000,1000000] [--e2e-size 100000]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from picsift.store.faiss.vectors import IndexStamp, VectorIndex

REPO = Path(__file__).resolve().parent.parent
DIM = 512
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 100, 128


def hnsw(ids: np.ndarray, data: np.ndarray) -> VectorIndex:
    """HNSW as picsift built it before IVF (IDMap2 over HNSWFlat, M=32, efSearch 128)."""
    graph = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    graph.hnsw.efSearch = HNSW_EF_SEARCH
    index = faiss.IndexIDMap2(graph)
    index.add_with_ids(data, ids)
    return VectorIndex(index, IndexStamp(0, "synthetic", DIM, len(ids)))


def caption_words(seed: int = 7) -> tuple[list[str], np.ndarray]:
    """A caption vocabulary with Zipf frequencies, like real text: the words of the shipped
    label vocabulary, in a fixed random order, with p(rank r) proportional to 1 / r."""
    text = (REPO / "data" / "vocabularies" / "general.txt").read_text()
    words = sorted(
        {
            w
            for line in text.splitlines()
            if not line.startswith("#")
            for w in line.lower().split()
            if w.isalpha() and len(w) > 2
        }
    )
    np.random.default_rng(seed).shuffle(words)
    weights = 1.0 / np.arange(1, len(words) + 1)
    return words, weights / weights.sum()


def clustered(n: int, seed: int, centres: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        which = rng.integers(0, len(centres), m)
        block = centres[which] + 0.35 * rng.standard_normal((m, DIM), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + m] = block
    return out


def latencies(fn: Any, queries: np.ndarray) -> list[float]:
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t) * 1000)
    return times


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def index_level(sizes: list[int], nq: int, centres: np.ndarray) -> list[dict[str, Any]]:
    queries = clustered(nq, 99, centres)
    rows = []
    for n in sizes:
        data = clustered(n, 1, centres)
        ids = np.arange(1, n + 1, dtype=np.int64)
        result: dict[str, Any] = {"size": n}
        truth = None
        for kind in ("flat", "hnsw"):
            t = time.perf_counter()
            if kind == "flat":
                index = VectorIndex.build(ids, data, IndexStamp(0, "synthetic", DIM, n))
            else:
                index = hnsw(ids, data)
            build = time.perf_counter() - t
            raw = faiss.serialize_index(index.faiss_index)
            lat = latencies(lambda q, ix=index: ix.search(q, 10), queries)
            _, found = index.search(queries, 10)
            if kind == "flat":
                truth = found
            assert truth is not None
            recall = float(
                np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
            )
            result[kind] = {
                "build_s": round(build, 2),
                "index_mb": round(raw.nbytes / 2**20, 1),
                "p50_ms": round(statistics.median(lat), 3),
                "p99_ms": round(pct(lat, 99), 3),
                "recall_at_10": round(recall, 4),
            }
            print(n, kind, result[kind], flush=True)
            del index, raw
        result["speedup_p50"] = round(result["flat"]["p50_ms"] / result["hnsw"]["p50_ms"], 1)
        rows.append(result)
        del data
    return rows


def end_to_end(
    n: int, nq: int, centres: np.ndarray, work: Path, with_http: bool = True
) -> dict[str, Any]:
    from picsift.config import Settings
    from picsift.models.presets import ModelSpec, Preset, PresetCatalog
    from picsift.models.provider import ModelProvider
    from picsift.models.tiny import build_full_size_random
    from picsift.search import SearchOptions, SearchService
    from picsift.store import Analysis, Store

    build_full_size_random("clip-vit-b-32", work / "clip")
    base = PresetCatalog().preset("default")
    clip = ModelSpec(**{**base.embedder.__dict__, "path": str(work / "clip")})
    preset = Preset("bench", clip, base.captioner, base.text_embedder, meaningless=True)
    settings = Settings(home=work / "home")
    rng = np.random.default_rng(5)
    words, freq = caption_words()
    data = clustered(n, 2, centres)
    with Store(settings.home) as store:
        cat = store.catalog
        cat.add_pending((f"/lib/{i // 1000}/img{i}.jpg", 1, 1) for i in range(n))
        cat.bind_model("image", clip.model_id, DIM)
        batch = []
        for i in range(n):
            caption = " ".join(rng.choice(words, 12, p=freq))
            batch.append(
                Analysis(
                    f"/lib/{i // 1000}/img{i}.jpg",
                    f"{i:064x}",
                    1,
                    1,
                    640,
                    480,
                    "JPEG",
                    None,
                    caption,
                    clip.model_id,
                    "none",
                    {"image": (clip.model_id, data[i])},
                )
            )
            if len(batch) == 5000:
                cat.commit_analyses(batch)
                batch = []
        cat.commit_analyses(batch)
        store.vector_index("image")
        service = SearchService(store, ModelProvider(settings, preset), settings)
        opts = SearchOptions(limit=20, weights={"clip": 1.0, "words": 0.5})
        service.search("warm up", opts)
        queries = [" ".join(rng.choice(words, 3, p=freq)) for _ in range(nq)]
        times = []
        for q in queries:
            t = time.perf_counter()
            service.search(q, opts)
            times.append((time.perf_counter() - t) * 1000)
        embed = []
        embedder = service._models.embedder()
        for q in queries[:50]:
            t = time.perf_counter()
            embedder.embed_texts([q])
            embed.append((time.perf_counter() - t) * 1000)
    http = over_http(settings, work, queries) if with_http else None
    return {
        "size": n,
        "queries": nq,
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(pct(times, 99), 1),
        "text_tower_p50_ms": round(statistics.median(embed), 1),
        "http": http,
    }


def over_http(settings: Any, work: Path, queries: list[str]) -> dict[str, Any]:
    """The same store served by ``picsift serve`` on loopback; sequential GET /search calls.

    The random-weight CLIP is registered as a user preset (``HOME/presets.toml``), the way a
    user adds a model, so the server loads it through the normal code path.
    """
    import socket
    import subprocess
    import sys

    import httpx

    (settings.home / "presets.toml").write_text(
        f'[models.bench-clip]\nkind = "embedder"\nbackend = "open_clip"\n'
        f'repo = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"\npath = "{work / "clip"}"\n'
        '[presets.bench]\nembedder = "bench-clip"\ncaptioner = "florence-2-base"\n'
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "PICSIFT_HOME": str(settings.home),
        "PICSIFT_PRELOAD_MODELS": "0",
        "PICSIFT_PRESET": "bench",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "picsift", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.5)
            params = {"limit": 20, "weights": "clip:1,words:0.5"}
            client.get("/search", params={"q": "warm up", **params}).raise_for_status()
            times = []
            for q in queries:
                t = time.perf_counter()
                client.get("/search", params={"q": q, **params}).raise_for_status()
                times.append((time.perf_counter() - t) * 1000)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"p50_ms": round(statistics.median(times), 1), "p99_ms": round(pct(times, 99), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--e2e-size", type=int, default=100_000)
    ap.add_argument("--no-http", action="store_true", help="Skip the HTTP measurement.")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "search.json")
    args = ap.parse_args()
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    centres = np.random.default_rng(0).standard_normal((2000, DIM), dtype=np.float32)
    result: dict[str, Any] = {"note": "synthetic clustered 512-d vectors; random-weight text tower"}
    result["index"] = index_level([int(s) for s in args.sizes.split(",")], args.queries, centres)
    if args.e2e_size:
        with tempfile.TemporaryDirectory() as tmp:
            result["in_process"] = end_to_end(
                args.e2e_size, args.queries, centres, Path(tmp), not args.no_http
            )
            print(result["in_process"], flush=True)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Vector search at scale: the index kinds the store chooses, at 1M vectors and, compressed,
at 5M.

Vectors are synthetic unit vectors in 512-d clustered around 2,000 random centres (as in
bench_search.py), generated chunk by chunk with fixed seeds; 200 held-out queries come from
the same distribution. Every index is built and opened by the store's own code
(``picsift.store.faiss.index_refresh`` / ``index_files``) with the kind forced through
``IndexOptions``. For each kind:

* build time (for trained kinds: writing the stored vectors, training on the sample, adding),
  bytes on disk;
* open time and resident memory in a fresh process that opens the files as a server does
  (memory-mapped), before and after the queries (RssAnon = private, RssFile = mapped file
  pages, which the kernel can drop);
* p50/p99 of single k=10 queries (one query at a time, like one server request; FAISS runs
  with its default thread count, reported) and recall@10 against exact search;
* for trained kinds, the time of an incremental update (1% new vectors, 0.1% deleted) beside
  the full build; for the compressed kind the short list re-ranked is swept.

HNSW (the previous default) is measured at 1M for comparison. At 5M only the compressed kind
(IVF-PQ + exact re-ranking) is built; nothing ever holds all 5M vectors (ground truth is
computed chunk-wise over the stored vectors), and the temporary files (~11 GB) are deleted at
the end. The machine is shared: the load average is printed and recorded beside the figures.

Run: ``.venv/bin/python bench/bench_scale.py [--size 1000000] [--compressed-size 5000000]``
Smoke: ``--size 20000 --compressed-size 30000 --queries 20 --kinds flat,ivf,ivfpq``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from picsift.store.faiss.index_files import files_of, open_index, read_stamp
from picsift.store.faiss.index_kinds import IndexOptions, lists_for, nprobe_for
from picsift.store.faiss.index_refresh import refresh_from
from picsift.store.faiss.vectors import VectorIndex

REPO = Path(__file__).resolve().parent.parent
DIM = 512
CHUNK = 100_000
SPACE = "image"
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 100, 128


def centres() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((2000, DIM), dtype=np.float32)


def clustered_chunk(m: int, seed: int, where: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(seed)
    block = where[rng.integers(0, len(where), m)]
    block += 0.35 * rng.standard_normal((m, DIM), dtype=np.float32)
    block /= np.linalg.norm(block, axis=1, keepdims=True)
    return block


class Synthetic:
    """A VectorSource of ``count`` clustered vectors with ids 1..count (minus ``deleted``,
    plus ``extra`` more), generated chunk by chunk: the same vectors on every pass."""

    def __init__(self, count: int, generation: int = 1, deleted: int = 0, extra: int = 0) -> None:
        self.base, self.deleted, self.extra = count, deleted, extra
        self.generation, self.model, self.dim = generation, "synthetic", DIM
        self.count = count - deleted + extra
        self._centres = centres()

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        total = self.base + self.extra
        for c, start in enumerate(range(0, total, CHUNK)):
            m = min(CHUNK, total - start)  # chunk c is always generated whole: same vectors
            ids = np.arange(start + 1, start + m + 1, dtype=np.int64)
            rows = clustered_chunk(CHUNK, 1_000 + c, self._centres)[:m]
            keep = ids > self.deleted
            yield ids[keep], rows[keep]


def options_for(kind: str, **extra: Any) -> IndexOptions:
    """Options under which the store picks ``kind`` at any size."""
    limits = {"flat": (10**12, 10**12), "ivf": (0, 10**12), "ivfpq": (0, 0)}[kind]
    return IndexOptions(approximate_above=limits[0], compress_above=limits[1], **extra)


def exact_top10(queries: np.ndarray, source: Any) -> np.ndarray:
    """Ground truth chunk by chunk: the best 10 catalog ids per query over the whole source."""
    best_s = np.full((len(queries), 10), -np.inf, np.float32)
    best_i = np.full((len(queries), 10), -1, np.int64)
    for ids, rows in source.chunks():
        scores = queries @ rows.T
        all_s = np.concatenate([best_s, scores], axis=1)
        all_i = np.concatenate([best_i, np.broadcast_to(ids, scores.shape)], axis=1)
        top = np.argpartition(-all_s, 10, axis=1)[:, :10]
        best_s = np.take_along_axis(all_s, top, 1)
        best_i = np.take_along_axis(all_i, top, 1)
    order = np.argsort(-best_s, axis=1)
    return np.take_along_axis(best_i, order, 1)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)]))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def rss_mb() -> dict[str, float]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key = line.split(":")[0]
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = round(int(line.split()[1]) / 1024, 1)
    return out


def disk_mb(paths: list[Path]) -> float:
    return round(sum(p.stat().st_size for p in paths if p.exists()) / 2**20, 1)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- the probe: a fresh process opening one index as a server would -------------------------
def probe(args: argparse.Namespace) -> dict[str, Any]:
    """Open, memory, latency and recall of one built index, in this fresh process."""
    work = Path(args.work)
    queries, truth = np.load(work / "queries.npy"), np.load(work / "truth.npy")
    before = rss_mb()
    started = time.perf_counter()
    if args.probe == "hnsw":
        index: Any = faiss.read_index(str(work / "hnsw" / "hnsw.faiss"), faiss.IO_FLAG_MMAP_IFC)
        faiss.downcast_index(index.index).hnsw.efSearch = HNSW_EF_SEARCH
        search = index.search
    else:
        folder = work / args.probe
        stamp = read_stamp(folder, SPACE)
        assert stamp is not None, f"no index in {folder}"
        opened = open_index(folder, SPACE, stamp, options_for(args.probe))
        search = opened.search
    open_s = time.perf_counter() - started
    after_open = rss_mb()
    result: dict[str, Any] = {
        "open_s": round(open_s, 4),
        "rss_mb_before_open": before,
        "rss_mb_after_open": after_open,
        "faiss_threads": faiss.omp_get_max_threads(),
    }
    t = time.perf_counter()
    search(queries[:1], 10)
    result["first_query_ms"] = round((time.perf_counter() - t) * 1000, 2)
    variants: list[tuple[str, Any]] = [("exact" if args.probe == "flat" else "hnsw", search)]
    result["default_variant"] = variants[0][0]
    if args.probe == "ivfpq":
        result["default_variant"] = f"rerank_{IndexOptions().rerank}"
        variants = [
            (f"rerank_{r}", same_files(opened, options_for("ivfpq", rerank=r)).search)
            for r in (100, 300, 1000, 3000)
        ]
    elif args.probe == "ivf":
        nlist = stamp.nlist
        default = nprobe_for(nlist, IndexOptions())
        result["default_variant"] = f"nprobe_{default}"
        variants = [
            (f"nprobe_{p}", same_files(opened, options_for("ivf", nprobe=p)).search)
            for p in sorted({max(1, default // 2), default, min(nlist, default * 2)})
        ]
    for name, fn in variants:
        # First pass: this fresh process's mappings are cold (the page cache is not: the
        # files were just written), as in a server just started. Second pass: the same
        # queries again, their pages now mapped, as in a server that has run for a while.
        passes = []
        for _ in range(2):
            times, found = [], []
            for q in queries:
                t = time.perf_counter()
                _, ids = fn(q[None, :], 10)
                times.append((time.perf_counter() - t) * 1000)
                found.append(ids[0])
            passes.append(times)
        result[name] = {
            "p50_ms": round(statistics.median(passes[0]), 3),
            "p99_ms": round(pct(passes[0], 99), 3),
            "warm_p50_ms": round(statistics.median(passes[1]), 3),
            "warm_p99_ms": round(pct(passes[1], 99), 3),
            "recall_at_10": round(recall(np.array(found), truth), 4),
        }
    result["rss_mb_after_queries"] = rss_mb()
    return result


def same_files(index: VectorIndex, options: IndexOptions) -> VectorIndex:
    """The same mapped index searched with other options (one mapping, so one RSS)."""
    return VectorIndex(index.faiss_index, index.stamp, index.stored, options, index.files)


def run_probe(work: Path, kind: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--probe", kind, "--work", str(work)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- phases ---------------------------------------------------------------------------------
def build_kind(kind: str, source: Any, work: Path) -> tuple[VectorIndex, dict[str, Any]]:
    folder = work / kind
    started = time.perf_counter()
    built = refresh_from(source, folder, SPACE, None, options_for(kind), save=True)
    seconds = time.perf_counter() - started
    files = files_of(folder, built.stamp, SPACE).paths(built.trained)
    row = {
        "build_s": round(seconds, 1),
        "disk_mb": disk_mb(files),
        "disk_mb_faiss": disk_mb(files[:1]),
        "nlist": built.stamp.nlist or None,
        "nprobe": nprobe_for(built.stamp.nlist, IndexOptions()) if built.trained else None,
    }
    print(kind, row, flush=True)
    return built, row


def update_kind(kind: str, built: VectorIndex, n: int, work: Path) -> dict[str, Any]:
    """1% new vectors and 0.1% deleted: the in-place update the store prefers to a rebuild."""
    changed = Synthetic(n, generation=2, deleted=n // 1000, extra=n // 100)
    started = time.perf_counter()
    updated = refresh_from(changed, work / kind, SPACE, built, options_for(kind), save=True)
    seconds = time.perf_counter() - started
    assert updated.count == changed.count and updated.stamp.trained_count == n
    return {"added": n // 100, "deleted": n // 1000, "update_s": round(seconds, 1)}


def build_hnsw(data: np.ndarray, work: Path) -> dict[str, Any]:
    """The previous default, built as picsift 1 did (IDMap2 over HNSWFlat, M=32)."""
    started = time.perf_counter()
    graph = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index = faiss.IndexIDMap2(graph)
    index.add_with_ids(data, np.arange(1, len(data) + 1, dtype=np.int64))
    seconds = time.perf_counter() - started
    path = work / "hnsw" / "hnsw.faiss"
    path.parent.mkdir(parents=True, exist_ok=True)
    faiss.write_index(index, str(path))
    row = {"build_s": round(seconds, 1), "disk_mb": disk_mb([path]), "M": HNSW_M}
    print("hnsw", row, flush=True)
    return row


def phase_full(n: int, nq: int, kinds: list[str], work: Path) -> dict[str, Any]:
    """Every kind at ``n`` vectors."""
    out: dict[str, Any] = {"size": n, "load_avg_start": load()}
    source = Synthetic(n)
    queries = clustered_chunk(nq, 99, centres())
    np.save(work / "queries.npy", queries)
    t = time.perf_counter()
    np.save(work / "truth.npy", exact_top10(queries, source))
    out["exact_truth_s"] = round(time.perf_counter() - t, 1)
    for kind in kinds:
        if kind == "hnsw":
            data = np.concatenate([rows for _, rows in source.chunks()])
            out[kind] = build_hnsw(data, work)
            del data
        else:
            built, out[kind] = build_kind(kind, source, work)
        out[kind].update(run_probe(work, kind))
        if kind in ("ivf", "ivfpq"):
            out[kind].update(update_kind(kind, built, n, work))
        if kind != "hnsw":
            del built
        shutil.rmtree(work / kind, ignore_errors=True)
        print(kind, json.dumps(out[kind]), flush=True)
    out["load_avg_end"] = load()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def phase_compressed(n: int, nq: int, work: Path) -> dict[str, Any]:
    """The compressed kind only, at ``n`` vectors, generated and checked chunk by chunk."""
    out: dict[str, Any] = {"size": n, "load_avg_start": load()}
    source = Synthetic(n)
    queries = clustered_chunk(nq, 99, centres())
    np.save(work / "queries.npy", queries)
    built, out["ivfpq"] = build_kind("ivfpq", source, work)
    assert built.stored is not None
    t = time.perf_counter()
    np.save(work / "truth.npy", exact_top10(queries, built.stored))
    out["exact_truth_s"] = round(time.perf_counter() - t, 1)
    out["ivfpq"]["lists"] = lists_for(n)
    del built
    out["ivfpq"].update(run_probe(work, "ivfpq"))
    out["load_avg_end"] = load()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print("ivfpq", json.dumps(out["ivfpq"]), flush=True)
    return out


def run_phase(args: argparse.Namespace, phase: str, work: Path) -> dict[str, Any]:
    """One phase in its own process, so each peak-memory figure is its own."""
    command = [
        *(sys.executable, __file__, "--phase", phase, "--work", str(work)),
        *("--size", str(args.size), "--compressed-size", str(args.compressed_size)),
        *("--queries", str(args.queries), "--kinds", args.kinds),
    ]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"phase {phase} failed (exit {done.returncode})")
    lines = done.stdout.strip().splitlines()
    print("\n".join(lines[:-1]), flush=True)
    return dict(json.loads(lines[-1]))


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Vector search at scale (bench/bench_scale.py)",
        "",
        f"{result['note']}",
        "",
        "| vectors | kind | build s | disk MB | open s | RSS after open MB (anon) | "
        "p50 / p99 ms | warm p50 / p99 ms | recall@10 | update s (1% new, 0.1% gone) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in ("full", "compressed"):
        block = result.get(phase) or {}
        for kind in ("flat", "hnsw", "ivf", "ivfpq"):
            row = block.get(kind)
            if not row:
                continue
            variant = row.get(row.get("default_variant", ""), {})
            rss = row["rss_mb_after_open"]
            lines.append(
                f"| {block['size']:,} | {kind} | {row['build_s']} | {row['disk_mb']:,} | "
                f"{row['open_s']} | {rss['VmRSS']} ({rss['RssAnon']}) | "
                f"{variant.get('p50_ms')} / {variant.get('p99_ms')} | "
                f"{variant.get('warm_p50_ms')} / {variant.get('warm_p99_ms')} | "
                f"{variant.get('recall_at_10')} | {row.get('update_s', '')} |"
            )
        if block:
            lines.append("")
            lines.append(
                f"- {phase} at {block['size']:,}: load average {block['load_avg_start']} at "
                f"the start, {block['load_avg_end']} at the end; peak RSS "
                f"{block['peak_rss_mb']:,} MB"
            )
            for kind in ("ivf", "ivfpq"):
                row = block.get(kind) or {}
                sweep = {k: v for k, v in row.items() if k.startswith(("nprobe_", "rerank_"))}
                for name, v in sweep.items():
                    lines.append(
                        f"- {kind} {name}: p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms (warm "
                        f"{v['warm_p50_ms']} / {v['warm_p99_ms']}), recall@10 "
                        f"{v['recall_at_10']}"
                    )
            lines.append("")
    lines += ["Rerun: `" + result["command"] + "`", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--compressed-size", type=int, default=5_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--kinds", default="flat,ivf,ivfpq,hnsw")
    ap.add_argument("--work", type=Path, default=None, help="Scratch folder (default: a temp).")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "scale.json")
    ap.add_argument("--phase", choices=("full", "compressed"), help=argparse.SUPPRESS)
    ap.add_argument("--probe", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        print(json.dumps(probe(args)))
        return
    if args.phase:
        work = Path(args.work) / args.phase
        work.mkdir(parents=True, exist_ok=True)
        if args.phase == "full":
            kinds = [k for k in args.kinds.split(",") if k]
            result = phase_full(args.size, args.queries, kinds, work)
        else:
            result = phase_compressed(args.compressed_size, args.queries, work)
        print(json.dumps(result))
        return
    scratch = Path(tempfile.mkdtemp(prefix="picsift-scale-", dir=args.work))
    needed_gb = args.compressed_size * (DIM * 4 + 8 + DIM / 8 + 16) / 1e9 * 1.05
    free_gb = shutil.disk_usage(scratch).free / 1e9
    if free_gb < needed_gb + 2:
        shutil.rmtree(scratch)
        sys.exit(f"needs ~{needed_gb:.1f} GB free in {scratch.parent}, has {free_gb:.1f}")
    shown = " ".join(
        [
            *("python bench/bench_scale.py", "--size", str(args.size)),
            *("--compressed-size", str(args.compressed_size), "--queries", str(args.queries)),
            *("--kinds", args.kinds),
        ]
    )
    result: dict[str, Any] = {
        "note": f"synthetic clustered {DIM}-d unit vectors (2,000 centres); {args.queries} "
        "held-out queries, k=10, one query at a time; recall@10 against exact search; "
        f"{os.cpu_count()} cores, shared (load averages recorded)",
        "command": shown,
    }
    try:
        if args.size:
            result["full"] = run_phase(args, "full", scratch)
        if args.compressed_size:
            result["compressed"] = run_phase(args, "compressed", scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    print(json.dumps(result, indent=2))
    print(f"load average now {load()}")


if __name__ == "__main__":
    main()

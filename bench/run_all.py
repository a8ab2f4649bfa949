"""Every benchmark in one command, and one report: ``bench/results/REPORT.md`` (+ plots).

Each benchmark runs in its own process (so one's memory never inflates another's figures)
and writes its JSON into the output folder; the report then lists the headline ratios and
medians of each, with the exact command that produced them. These machines are shared and
noisy: read ratios and medians, not single absolute times.

Run everything (about 1.5 hours on 2 cores; the scale benchmark alone takes ~40 minutes and
~11 GB of temporary disk):  ``.venv/bin/python bench/run_all.py``
A seconds-to-minutes smoke run (tiny sizes; checks the machinery, not the speed):
``.venv/bin/python bench/run_all.py --smoke --out /tmp/bench-smoke``
One or a few: ``--only search,cluster``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
Headline = Callable[[dict[str, Any]], list[str]]


def _get(d: Any, *keys: Any) -> Any:
    for key in keys:
        found = (isinstance(d, dict) and key in d) or (
            isinstance(d, list) and isinstance(key, int) and -len(d) <= key < len(d)
        )
        if not found:
            return None
        d = d[key]
    return d


def _index(d: dict[str, Any]) -> list[str]:
    med = d.get("median_images_per_second", {})
    lines = [
        f"embed: {med.get('picsift_embed')} img/s vs naive {med.get('naive_embed')} "
        f"(ratio **{d.get('ratio_embed')}**)"
    ]
    if "ratio_embed_caption" in d:
        lines.append(
            f"embed + caption: {med.get('picsift_embed_caption')} img/s vs naive "
            f"{med.get('naive_embed_caption')} (ratio **{d.get('ratio_embed_caption')}**)"
        )
    return lines


def _sandbox(d: dict[str, Any]) -> list[str]:
    med = d.get("median_images_per_second", {})
    return [
        f"index: {med.get('index_sandbox')} img/s with the decoding sandbox vs "
        f"{med.get('index_in_process')} decoding in process (ratio "
        f"**{d.get('ratio_index_sandbox_over_in_process')}**)",
        f"decoding alone: {med.get('decode_sandbox')} vs {med.get('decode_in_process')} img/s "
        f"(ratio {d.get('ratio_decode_sandbox_over_in_process')})",
    ]


def _eval(d: dict[str, Any]) -> list[str]:
    sec = d.get("seconds", {})
    return [
        f"eval retrieval, {d.get('queries')} queries x {d.get('passes')} passes: "
        f"{sec.get('batched')} s batched vs {sec.get('one_at_a_time')} s one at a time "
        f"(ratio **{d.get('ratio_one_at_a_time_over_batched')}**)"
    ]


def _structure(d: dict[str, Any]) -> list[str]:
    med = d.get("median_s_per_image", {})
    return [
        f"depth: {med.get('depth')} s per image vs {med.get('depth_naive')} s for a pipeline "
        f"loop (ratio **{d.get('ratio_depth_naive_over_picsift')}**)",
        f"regions: {med.get('seg')} s vs {med.get('seg_naive')} s (ratio "
        f"**{d.get('ratio_regions_naive_over_picsift')}**); pose: {med.get('pose_per_person')} s "
        "per person",
    ]


def _search(d: dict[str, Any]) -> list[str]:
    lines = []
    for row in d.get("index", []):
        lines.append(
            f"{row.get('size'):,} vectors: flat p50 {_get(row, 'flat', 'p50_ms')} ms, HNSW p50 "
            f"{_get(row, 'hnsw', 'p50_ms')} ms (x{row.get('speedup_p50')}), HNSW recall@10 "
            f"{_get(row, 'hnsw', 'recall_at_10')}"
        )
    e2e = d.get("in_process", {})
    if e2e:
        lines.append(
            f"end to end at {e2e.get('size'):,}: p50 {e2e.get('p50_ms')} ms, p99 "
            f"{e2e.get('p99_ms')} ms in process; HTTP p50 {_get(e2e, 'http', 'p50_ms')} ms"
        )
    return lines


def _ray(d: dict[str, Any]) -> list[str]:
    return [
        f"{r.get('run')}: {r.get('images_per_s')} img/s"
        + (
            f" (x{r['throughput_vs_local']} local, {r.get('overhead_s_per_image')} s/img overhead)"
            if "throughput_vs_local" in r
            else ""
        )
        for r in d.get("runs", [])
    ]


def _scale(d: dict[str, Any]) -> list[str]:
    lines = []
    for phase in ("full", "compressed"):
        block = d.get(phase) or {}
        for kind in ("flat", "hnsw", "ivf", "ivfpq"):
            row = block.get(kind)
            if not row:
                continue
            best = row.get(row.get("default_variant", ""), {})
            lines.append(
                f"{block.get('size'):,} {kind}: build {row.get('build_s')} s, "
                f"{row.get('disk_mb')} MB on disk, open {row.get('open_s')} s, p50 "
                f"{best.get('p50_ms')} ms, p99 {best.get('p99_ms')} ms, recall@10 "
                f"{best.get('recall_at_10')}"
            )
        if block:
            lines.append(f"load average during the {phase} run: {block.get('load_avg_end')}")
    return lines


def _cluster(d: dict[str, Any]) -> list[str]:
    return [
        f"{r.get('size'):,} points: {r.get('seconds')} s, peak RSS {r.get('peak_rss_mb')} MB, "
        f"NMI {r.get('nmi')}, noise {r.get('noise_fraction')}"
        for r in d.get("runs", [])
    ]


def _facets(d: dict[str, Any]) -> list[str]:
    out = []
    for size, block in d.get("sizes", {}).items():
        for name, stats in block.get("facets", {}).items():
            out.append(f"{name} at {size}: median {stats.get('median_ms')} ms per image")
    return out


def _model_facets(d: dict[str, Any]) -> list[str]:
    tags, objects = d.get("tags", {}), d.get("objects", {})
    out = [
        f"tags: {tags.get('tag_ms_per_image_from_vector')} ms per image from its vector; "
        f"vocabularies cold {tags.get('label_banks_cold_s')} s once ({tags.get('prompts')} "
        f"prompts), then {tags.get('label_banks_from_disk_s')} s from disk"
    ]
    if objects:
        out.append(
            f"objects: {objects.get('objects_s_per_image')} s per image at "
            f"{objects.get('tokens')} tokens (x{objects.get('objects_over_caption')} a caption)"
        )
    depth = d.get("depth", {})
    if depth:
        out.append(f"depth: {depth.get('depth_s_per_image')} s per image (518 px)")
    return out


def _runtime(d: dict[str, Any]) -> list[str]:
    rates, ratio = d.get("images_per_second_median", {}), d.get("ratio_over_naive", {})
    return [
        f"CLIP images/s: naive {rates.get('naive_one_at_a_time')}, eager {rates.get('eager')}, "
        f"onnx {rates.get('onnx')}, onnx-int8 {rates.get('onnx-int8')} "
        f"(int8 x{ratio.get('onnx-int8')} naive)",
        f"text query ms: {d.get('query_ms_median')}",
    ]


def _captioner(d: dict[str, Any]) -> list[str]:
    med = d.get("seconds_per_image_median", {})
    return [
        f"s/image at {d.get('tokens')} tokens: naive {med.get('naive')}, fp32 "
        f"{med.get('picsift_fp32')}, int8 {med.get('picsift_int8')} "
        f"(speed-up {d.get('speedup_over_naive')})"
    ]


def _serve(d: dict[str, Any]) -> list[str]:
    s = d.get("picsift_serve", {})
    out = [
        f"ready {s.get('ready_s')} s, first search {s.get('first_search_s')} s, RSS "
        f"{s.get('rss_after_searches_mb')} MB"
    ]
    if "ready_ratio_picsift_over_naive" in d:
        out.append(
            f"vs a naive load-both-models script: start x{d['ready_ratio_picsift_over_naive']}, "
            f"memory x{d.get('rss_ratio_picsift_over_naive')}"
        )
    return out


def _web(d: dict[str, Any]) -> list[str]:
    return [
        f"library page load {_get(d, 'library', 'load_ms')} ms; search-as-you-type: results "
        f"{_get(d, 'typing', 'last_key_to_results_ms')} ms after the last key"
    ]


def _load(d: dict[str, Any]) -> list[str]:
    s = d.get("search", {})
    return [
        f"/search, {s.get('clients')} clients {s.get('seconds')} s: {s.get('served')} served, "
        f"5xx {s.get('errors_5xx_other_than_busy')}, p99 {s.get('latency_ms_p99')} ms, "
        f"RSS growth {s.get('rss_growth_pct')} %"
    ]


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    full: tuple[str, ...]
    smoke: tuple[str, ...] | None  # None: not part of the smoke run
    headline: Headline


SUITE = (
    Bench("facets", "bench_facets.py", (), ("--repeats", "1"), _facets),
    Bench(
        "cluster",
        "bench_cluster.py",
        (),
        ("--sizes", "2000", "--centres", "20"),
        _cluster,
    ),
    Bench(
        "search",
        "bench_search.py",
        (),
        ("--sizes", "2000", "--queries", "20", "--e2e-size", "2000", "--no-http"),
        _search,
    ),
    Bench(
        "scale",
        "bench_scale.py",
        (),
        (
            "--size",
            "20000",
            "--compressed-size",
            "30000",
            "--queries",
            "20",
            "--kinds",
            "flat,ivf,ivfpq",
        ),
        _scale,
    ),
    Bench("index", "bench_index.py", (), None, _index),
    Bench("sandbox", "bench_sandbox.py", (), ("--images", "40", "--rounds", "1"), _sandbox),
    Bench("eval", "bench_eval.py", (), ("--images", "100"), _eval),
    Bench("structure", "bench_structure.py", (), ("--images", "2", "--rounds", "1"), _structure),
    Bench("ray", "bench_ray.py", (), None, _ray),
    Bench("model_facets", "bench_model_facets.py", (), None, _model_facets),
    Bench("runtime", "bench_runtime.py", (), None, _runtime),
    Bench("captioner", "bench_captioner.py", (), None, _captioner),
    Bench("serve", "bench_serve.py", (), ("--tiny", "--rounds", "1", "--searches", "3"), _serve),
    Bench("web", "bench_web.py", (), None, _web),
    Bench("load", "bench_load.py", (), None, _load),
)


def run(bench: Bench, smoke: bool, out: Path) -> dict[str, Any]:
    args = bench.smoke if smoke else bench.full
    command = [
        sys.executable,
        str(REPO / "bench" / bench.script),
        *(args or ()),
        "--out",
        str(out / f"{bench.name}.json"),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - started
    shown = " ".join(["python", f"bench/{bench.script}", *(args or ())])
    record: dict[str, Any] = {"command": shown, "seconds": round(seconds, 1)}
    if done.returncode != 0:
        record["error"] = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return record
    try:
        record["result"] = json.loads((out / f"{bench.name}.json").read_text())
    except (OSError, ValueError) as exc:
        record["error"] = [f"no readable result: {exc}"]
    return record


def report(records: dict[str, dict[str, Any]], smoke: bool) -> str:
    lines = ["# picsift benchmarks", ""]
    if smoke:
        lines += ["**Smoke run**: tiny sizes; these figures check the machinery, not speed.", ""]
    lines += [
        "Models are the default architectures at random weights (same compute as the real "
        "ones) unless a line says tiny; no figure here is a quality claim.",
        "",
    ]
    by_name = {b.name: b for b in SUITE}
    for name, record in records.items():
        lines += [f"## {name}", "", f"`{record['command']}` ({record['seconds']} s)", ""]
        if "error" in record:
            lines += ["**failed**:", "", "```", *record["error"], "```", ""]
            continue
        try:
            lines += [f"- {line}" for line in by_name[name].headline(record["result"])]
        except (TypeError, AttributeError, KeyError) as exc:
            lines.append(f"- (headline unavailable: {exc}; see {name}.json)")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", default="", help="Comma-separated benchmark names.")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = ap.parse_args()
    wanted = [n for n in args.only.split(",") if n] or [
        b.name for b in SUITE if not args.smoke or b.smoke is not None
    ]
    unknown = set(wanted) - {b.name for b in SUITE}
    if unknown:
        print(f"unknown benchmarks {sorted(unknown)}; known: {[b.name for b in SUITE]}")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    records = {}
    for bench in SUITE:
        if bench.name in wanted:
            print(f"== {bench.name}", flush=True)
            records[bench.name] = run(bench, args.smoke, args.out)
            print("   failed" if "error" in records[bench.name] else "   ok", flush=True)
    (args.out / "REPORT.md").write_text(report(records, args.smoke) + "\n")
    (args.out / "report.json").write_text(json.dumps(records, indent=2) + "\n")
    print(f"wrote {args.out / 'REPORT.md'}")
    return 1 if any("error" in r for r in records.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

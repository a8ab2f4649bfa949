"""Seconds per 512 px edit on this machine for each edit method, beside a naive diffusers
loop, with peak memory and the cost of a series, in one run.

The default architectures at random weights (Stable Diffusion 1.5's UNet, VAE and CLIP
ViT-L/14 text encoder; two ControlNet 1.1 models for the structure method; InstructPix2Pix's
8-channel UNet; LCM's UNet with a guidance embedding): the same compute as the real weights,
pictures meaningless. Each method runs in a fresh child process (its peak RSS is its own).

- **picsift**: ``DiffusersEditor.edit`` as the product calls it (resize to the working size,
  the pipeline with the method's ControlNets, back to the picture's size);
- **naive**: the same loaded pipeline called directly on a 512 px picture, as a script would;
- **scores**: what measuring one candidate adds (structure edges of both pictures, Depth
  Anything V2 Small on both, CLIP ViT-B/32 on both pictures and two texts), default
  architectures at random weights;
- **series**: ``--series`` pictures edited one after another with one loaded model (the
  fast method by default, whose steps are few enough to run a real series here).

Steps are fixed per method (``--steps``, default: each method's preset value), so figures
compare at equal work. Medians of ``--rounds``.

Run: ``.venv/bin/python bench/bench_edit.py [--methods structure,instruct,fast --rounds 3
--series 20]`` (writes bench/results/edit.json and edit.md).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _photo(index: int = 0) -> Any:
    from PIL import Image

    from picsift.resources import data_dir

    paths = sorted((data_dir() / "samples").glob("*.jpg"))
    with Image.open(paths[index % len(paths)]) as im:
        picture = im.convert("RGB")
    scale = 512 / max(picture.size)
    return picture.resize((round(picture.width * scale), round(picture.height * scale)))


def _reset_peak() -> bool:
    """Start the peak-RSS count again (Linux: writing 5 to clear_refs resets VmHWM), so the
    peak is that of loading and editing, not of building the random weights."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    """VmHWM since the last reset (ru_maxrss, the lifetime peak, where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(method: str, steps: int | None, rounds: int, series: int) -> dict[str, Any]:
    import torch

    from picsift.models.edit_base import EditRequest, working_size
    from picsift.models.editor import DiffusersEditor
    from picsift.models.presets import PresetCatalog
    from picsift.models.tiny import build_full_size_random

    chosen = PresetCatalog().preset("default").edits[method]
    options = dict(chosen.editor.options)
    if steps is not None:
        options["steps"] = steps
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_full_size_random(chosen.editor.name, Path(tmp) / "editor")
        controls = {
            name: build_full_size_random(spec.name, Path(tmp) / name)
            for name, spec in chosen.controls.items()
        }
        reset = _reset_peak()
        started = time.perf_counter()
        editor = DiffusersEditor(folder, "bench", torch.device("cpu"), options, controls)
        load_s = time.perf_counter() - started
        photo = _photo()
        maps = {name: photo.convert("L").convert("RGB") for name in editor.default_keep}
        request = EditRequest(photo, "at night", 0, None, maps)
        editor.edit(request)  # warm-up
        picsift = []
        for _ in range(rounds):
            started = time.perf_counter()
            editor.edit(request)
            picsift.append(time.perf_counter() - started)
        naive = [_naive(editor, photo, maps, options) for _ in range(rounds)]
        result: dict[str, Any] = {
            "method": method,
            "pipeline": options["pipeline"],
            "steps": options["steps"],
            "strength": editor.strength,
            "controls": list(editor.default_keep),
            "size": list(working_size(photo.size, editor.side)),
            "load_s": round(load_s, 2),
            "picsift_s": round(statistics.median(picsift), 2),
            "naive_s": round(statistics.median(naive), 2),
        }
        result["ratio_naive_over_picsift"] = round(result["naive_s"] / result["picsift_s"], 3)
        if series:
            started = time.perf_counter()
            for i in range(series):
                picture = _photo(i)
                keep = {name: picture.convert("L").convert("RGB") for name in editor.default_keep}
                editor.edit(EditRequest(picture, "in winter", 0, None, keep))
            result["series"] = {"pictures": series, "s": round(time.perf_counter() - started, 1)}
        result["peak_rss_mb"] = round(_peak_mb())
        result["peak_rss_from"] = "load" if reset else "process start (builds included)"
    return result


def _naive(editor: Any, photo: Any, maps: dict[str, Any], options: dict[str, Any]) -> float:
    """The loaded pipeline called as a script would: no resizing, no ControlNet assembly
    beyond what the call needs."""
    import diffusers
    import torch

    pipe = editor._pipe
    kwargs: dict[str, Any] = {
        "prompt": "at night",
        "image": photo,
        "num_inference_steps": int(options["steps"]),
        "guidance_scale": float(options.get("guidance", 7.5)),
        "generator": torch.Generator("cpu").manual_seed(0),
    }
    if options["pipeline"] == "instruct_pix2pix":
        kwargs["image_guidance_scale"] = float(options.get("image_guidance", 1.5))
    else:
        kwargs["strength"] = float(options.get("strength", 0.8))
    if options["pipeline"] == "controlnet_img2img":
        pipe = diffusers.StableDiffusionControlNetImg2ImgPipeline(
            **{k: v for k, v in editor._pipe.components.items() if k != "image_encoder"},
            controlnet=list(editor._controlnets.values()),
        )
        pipe.set_progress_bar_config(disable=True)
        kwargs["control_image"] = list(maps.values())
    started = time.perf_counter()
    with torch.inference_mode():
        pipe(**kwargs)
    return time.perf_counter() - started


def _scores_child(rounds: int) -> dict[str, Any]:
    import torch

    from picsift.edit import scores as sc
    from picsift.models.depth import TransformersDepth
    from picsift.models.openclip import OpenClipEmbedder
    from picsift.models.tiny import build_full_size_random

    with tempfile.TemporaryDirectory() as tmp:
        cpu = torch.device("cpu")
        depth_folder = build_full_size_random("depth-anything-v2-small", Path(tmp) / "d")
        clip_folder = build_full_size_random("clip-vit-b-32", Path(tmp) / "c")
        _reset_peak()
        depth = TransformersDepth(depth_folder, "d", cpu)
        clip = OpenClipEmbedder(clip_folder, "c", cpu)
        a, b = _photo(0), _photo(1)

        def once() -> None:
            sc.edge_f_score(sc.structure_edges(a), sc.structure_edges(b))
            maps = depth.estimate([a, b], 64)
            sc.depth_agreement(maps[0], maps[1])
            pics = clip.embed_images([a, b])
            words = clip.embed_texts(["a room", "a room, at night"])
            sc.directional_similarity(pics[0], pics[1], words[0], words[1])

        once()
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            once()
            times.append(time.perf_counter() - started)
        return {"scores_s": round(statistics.median(times), 3), "peak_rss_mb": round(_peak_mb())}


def _markdown(rows: list[dict[str, Any]], scores: dict[str, Any], threads: int) -> str:
    lines = [
        "# Edits: seconds per 512 px edit (default architectures, random weights)",
        "",
        f"CPU threads: {threads}. Medians. `naive` calls the same loaded diffusers pipeline "
        "directly. Peak RSS counts from loading (building the random weights excluded). "
        "Command: `.venv/bin/python bench/bench_edit.py`.",
        "",
        "| method | pipeline | steps | strength | size | load s | picsift s | naive s | "
        "naive/picsift | peak RSS MB | series |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        series = r.get("series")
        shown = f"{series['pictures']} in {series['s']} s" if series else "-"
        lines.append(
            f"| {r['method']} | {r['pipeline']} | {r['steps']} | {r['strength']} | "
            f"{r['size'][0]}x{r['size'][1]} | {r['load_s']} | {r['picsift_s']} | {r['naive_s']} "
            f"| {r['ratio_naive_over_picsift']} | {r['peak_rss_mb']} | {shown} |"
        )
    lines += [
        "",
        f"Scoring one candidate (structure edges, Depth Anything V2 Small and CLIP B/32 on "
        f"both pictures): {scores.get('scores_s')} s.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", default="structure,instruct,fast")
    ap.add_argument("--steps", type=int, default=None, help="Steps for every method.")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--series", type=int, default=20, help="Pictures in the fast series.")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "edit.json")
    args = ap.parse_args()
    if args.child == "scores":
        print(json.dumps(_scores_child(args.rounds)))
        return
    if args.child:
        series = args.series if args.child == "fast" else 0
        print(json.dumps(_child(args.child, args.steps, args.rounds, series)))
        return
    import torch

    rows = []
    for method in args.methods.split(","):
        command = [sys.executable, __file__, "--child", method, "--rounds", str(args.rounds)]
        command += ["--series", str(args.series)]
        if args.steps is not None:
            command += ["--steps", str(args.steps)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    command = [sys.executable, __file__, "--child", "scores", "--rounds", str(args.rounds)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    scores = json.loads(done.stdout.strip().splitlines()[-1])
    result = {
        "note": "default architectures at random weights: speed and memory only",
        "threads": torch.get_num_threads(),
        "methods": rows,
        "scores": scores,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(_markdown(rows, scores, result["threads"]))
    print(_markdown(rows, scores, result["threads"]))
    shutil.rmtree(REPO / "bench" / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()

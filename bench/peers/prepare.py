"""Set-up for bench/bench_peers.py: the shared random weights, the peers' venvs, and running
a runner as a child process while sampling its memory.

Weights: picsift's own ``build_full_size_random("clip-vit-b-32")`` folder is built once; the
peers' files are derived from that file, so every tool runs bit-identical weights:
clip-retrieval reads the safetensors file itself, rclip gets ONNX exports of the two towers
(its model contract: input ``input``, first output the unnormalised features) and open_clip's
BPE vocabulary, in the layout rclip checks before downloading anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

RCLIP_SUBDIR = "ViT-B-32-256-datacomp_s34b_b86k"  # the folder name rclip 3.x looks in
PEERS = {"rclip": ["rclip"], "clip-retrieval": ["clip-retrieval"]}
# pip's setuptools 81+ has no pkg_resources, which clip-retrieval's `clip` import needs
AFTER = {"clip-retrieval": ["setuptools<81"]}


def ensure_weights(root: Path) -> tuple[Path, Path]:
    """(picsift's random ViT-B/32 folder, rclip's data folder), built when missing."""
    from picsift.models.tiny import build_full_size_random

    clip = root / "models" / "clip-vit-b-32-random"
    weights = clip / "open_clip_model.safetensors"
    if not weights.exists():
        print("building picsift's random ViT-B/32 (seed 0) ...", flush=True)
        build_full_size_random("clip-vit-b-32", clip)
    rclip = root / "models" / "rclip224"
    onnx = [rclip / RCLIP_SUBDIR / f"{n}.onnx" for n in ("visual", "textual")]
    if not all(p.exists() and p.stat().st_mtime >= weights.stat().st_mtime for p in onnx):
        print("exporting the same weights to ONNX for rclip ...", flush=True)
        _export_rclip(clip, rclip)
    return clip, rclip


def _export_rclip(clip: Path, out: Path) -> None:
    import numpy as np
    import onnxruntime as ort
    import open_clip
    import torch

    class Tower(torch.nn.Module):
        def __init__(self, model: Any, image: bool) -> None:
            super().__init__()
            self.model, self.image = model, image

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.model.encode_image(x) if self.image else self.model.encode_text(x)

    model, _ = open_clip.create_model_from_pretrained(f"local-dir:{clip}")
    model.eval().requires_grad_(False)
    examples = {
        "visual": torch.randn(2, 3, 224, 224),
        "textual": open_clip.tokenize(["a red dress", "a photo"]),
    }
    (out / RCLIP_SUBDIR).mkdir(parents=True, exist_ok=True)
    torch.backends.mha.set_fastpath_enabled(False)  # its fused op has no ONNX export
    for name, example in examples.items():
        tower = Tower(model, name == "visual").eval()
        path = out / RCLIP_SUBDIR / f"{name}.onnx"
        with torch.no_grad():
            torch.onnx.export(
                tower,
                (example,),
                str(path),
                input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
            want = tower(example).numpy()
        got = ort.InferenceSession(str(path)).run(None, {"input": example.numpy()})[0]
        print(f"  {name}.onnx: max |onnx - torch| = {np.abs(got - want).max():.2e}")
    torch.backends.mha.set_fastpath_enabled(True)
    (out / "tokenizer").mkdir(exist_ok=True)
    vocab = Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz"
    shutil.copyfile(vocab, out / "tokenizer" / vocab.name)


def ensure_venv(root: Path, name: str) -> Path:
    """``root/name/venv``'s python; created and filled with pip when missing."""
    python = root / name / "venv" / "bin" / "python"
    if python.exists():
        return python
    base = getattr(sys, "_base_executable", sys.executable)
    print(f"creating {python.parent.parent} and installing {name} (minutes) ...", flush=True)
    subprocess.run([base, "-m", "venv", str(python.parent.parent)], check=True)
    for packages in (PEERS[name], AFTER.get(name, [])):
        if packages:
            subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
    return python


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += parents.get(p, [])
    return found


def run_child(
    python: Path, script: Path, job: dict[str, Any], env: dict[str, str], log: Path
) -> dict[str, Any]:
    """Run ``python script '<job>'`` (on the first ``job["threads"]`` CPUs when that is fewer
    than all); its RESULT line plus ``pss_tree_mb``: the peak of the summed PSS of it and its
    descendants (worker processes), sampled every 0.2 s."""
    cmd = [str(python), str(script), json.dumps(job)]
    with log.open("a") as err:
        err.write(f"\n$ {' '.join(cmd[:2])} {job.get('mode')}\n")
        err.flush()
        threads = int(job.get("threads", 0))
        cpus = range(threads) if 0 < threads < (os.cpu_count() or 1) else None
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        peak, lines = [0], []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
        reader.start()
        while proc.poll() is None:
            peak[0] = max(peak[0], sum(_pss_kb(p) for p in _tree(proc.pid)))
            time.sleep(0.2)
        reader.join()
    results = [ln[len("RESULT ") :] for ln in lines if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not results:
        raise SystemExit(f"{script.name} {job.get('mode')} failed ({proc.returncode}); see {log}")
    out: dict[str, Any] = json.loads(results[-1])
    out["pss_tree_mb"] = round(peak[0] / 1024, 1)
    return out


def child_env(threads: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    env.pop("PYTHONPATH", None)
    return {**env, **(extra or {})}


def disk_bytes(*paths: Path) -> int:
    total = 0
    for path in paths:
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        total += sum(p.stat().st_size for p in files if not p.is_symlink())
    return total

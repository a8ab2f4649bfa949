"""What the decode sandbox costs: indexing with decoding in bounded worker processes beside
indexing with decoding in this process's threads (picsift before the sandbox).

Both run the same ``Indexer`` into a fresh store, in one process, interleaved round by round,
on the same photos of the clothing set (the bundled samples without it), with the tiny preset
(random weights: only the mechanics are measured). The models are loaded once, before any
timed round. The in-process decoder below exists only here: it is the unsafe baseline the
sandbox replaced, never something picsift ships.

Also reported: decoding alone (read, decode, downscale; no models) with the sandbox and
in-process threads, images per second.

Reports images/s per round, medians over ``--rounds`` and the ratio sandbox / in-process
(the issue's target: at least 0.9).
Run: ``.venv/bin/python bench/bench_sandbox.py [--images 1000] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from picsift.config import Settings
from picsift.imaging.decode import DecodedImage, decode_image
from picsift.imaging.sandbox import DecodeSandbox, ImageDecoder
from picsift.indexer import Indexer
from picsift.indexer.pipeline import load_ahead
from picsift.indexer.scan import scan
from picsift.models import PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.models.tiny import build_tiny
from picsift.store import Store

REPO = Path(__file__).resolve().parent.parent
CLOTHING = REPO.parent / "shared" / "datasets" / "clothing" / "images"


class InProcessDecoder:
    """The baseline: ``decode_image`` in the calling thread, no limits (bench only)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def decode(
        self, data: bytes, source: str | Path, *, max_side: int | None = None
    ) -> DecodedImage:
        s = self._settings
        return decode_image(
            data,
            source,
            max_pixels=s.max_image_pixels,
            max_side=max_side or s.max_side,
            formats=tuple(s.image_formats),
        )


def _folder(work: Path, n: int) -> Path:
    source = CLOTHING if CLOTHING.is_dir() else REPO / "data" / "samples"
    folder = work / "photos"
    folder.mkdir()
    for p in sorted(source.glob("*.jpg"))[:n]:
        (folder / p.name).symlink_to(p)
    return folder


def index_rate(
    folder: Path, settings: Settings, models: ModelProvider, decoder: ImageDecoder, work: Path
) -> float:
    home = work / f"store-{time.monotonic_ns()}"
    local = settings.model_copy(update={"home": home})
    with Store(home) as store:
        start = time.perf_counter()
        report = Indexer(store, models, local, decoder=decoder).run([folder])
        elapsed = time.perf_counter() - start
    assert not report.errors, report.errors[:3]
    return report.indexed / elapsed


def decode_rate(folder: Path, settings: Settings, decoder: ImageDecoder) -> float:
    files = scan(folder).files
    start = time.perf_counter()
    done = sum(1 for item in load_ahead(files, settings, 16, decoder) if item.decoded is not None)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "sandbox.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="picsift-bench-sandbox-") as tmp:
        work = Path(tmp)
        models_dir = work / "models"
        for name in ("tiny-clip", "tiny-florence-2"):
            build_tiny(name, models_dir / f"picsift--{name}")
        settings = Settings(home=work / "home", models_dir=models_dir, allow_download=False)
        models = ModelProvider(settings, PresetCatalog().preset("tiny"))
        models.embedder(), models.captioner()  # loaded once, outside every timed region
        folder = _folder(work, args.images)
        count = len(list(folder.iterdir()))
        rounds: dict[str, list[float]] = {k: [] for k in ("index_sandbox", "index_in_process")}
        rounds |= {"decode_sandbox": [], "decode_in_process": []}
        with DecodeSandbox(settings) as sandbox:
            baseline = InProcessDecoder(settings)
            decode_rate(folder, settings, sandbox)  # warm the workers and the page cache
            for r in range(args.rounds):
                # alternate which goes first, so drift in machine load hits both alike
                order = [("sandbox", sandbox), ("in_process", baseline)]
                for name, decoder in order if r % 2 == 0 else order[::-1]:
                    rounds[f"decode_{name}"].append(decode_rate(folder, settings, decoder))
                    rounds[f"index_{name}"].append(
                        index_rate(folder, settings, models, decoder, work)
                    )
                print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in rounds.items()))
    med = {k: round(statistics.median(v), 2) for k, v in rounds.items()}
    result: dict[str, Any] = {
        "images": count,
        "rounds": {k: [round(x, 2) for x in v] for k, v in rounds.items()},
        "median_images_per_second": med,
        "ratio_index_sandbox_over_in_process": round(
            med["index_sandbox"] / med["index_in_process"], 3
        ),
        "ratio_decode_sandbox_over_in_process": round(
            med["decode_sandbox"] / med["decode_in_process"], 3
        ),
        "cpus": os.cpu_count(),
        "preset": "tiny (random weights)",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

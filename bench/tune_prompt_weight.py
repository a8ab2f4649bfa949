"""Choose how much a generator's prompt counts in the words channel, on a tuning set, and
report it on held-out sets.

No set of generated images with their prompts and independent captions is available on this
machine, so prompts are simulated from human text, with the failure the prompt source exists
for written in on purpose (all captions: MS COCO, human-written; see data/eval/*/README.md):

* the picture's description (``caption`` column, as the captioner would write it): the
  image's caption 0;
* its prompt: caption 1, plus a phrase from another image's caption (a prompt names
  something the picture lacks); for ``--wrong`` of the images (default 20 %) the whole prompt
  is another image's caption (a generation that came out as something else);
* the queries: captions 2 to 4, each with exactly one relevant image.

Two channels read prompts, each measured alone with the product's own code: ``words``
(BM25 over the store's FTS5 index, ``prompt_weight``) and ``caption`` (sentence vectors,
``prompt_caption_weight``: an image keeps its best of caption and scaled prompt similarity),
whose text model is all-MiniLM-L6-v2 with its real weights, so the figures are real.
Tune: ``data/eval/coco-dev``; test, never used for the choice: ``coco-mini`` and
``coco-mini-train``. Weight 0 is "prompts ignored", the baseline the default must not lose to.

    .venv/bin/python bench/tune_prompt_weight.py  # a minute; bench/results/prompt_weight.json
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections import defaultdict
from pathlib import Path

from picsift.config import Settings
from picsift.eval.metrics import first_relevant_rank, mean_reciprocal_rank, recall_at
from picsift.indexer.text_vectors import sync_text_vectors
from picsift.models import PresetCatalog
from picsift.models.base import TextEmbedder
from picsift.models.provider import ModelProvider
from picsift.search import channels as ch
from picsift.store import CAPTION_SPACE, PROMPT_SPACE, Analysis, Store
from picsift.store.filters import Filters

CHANNELS = ("words", "caption")

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data" / "eval"
WEIGHTS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)
SETS = {"tune": ("coco-dev",), "test": ("coco-mini", "coco-mini-train")}  # tune: sized below
DEPTH = 50
TUNE_SIZES = (80, 160, 320, 611)  # coco-dev images, first by id: libraries of several sizes


def _captions(name: str) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for line in (DATA / name / "captions.jsonl").read_text().splitlines():
        item = json.loads(line)
        out[int(item["image_id"])].append(str(item["caption"]))
    return {k: v for k, v in out.items() if len(v) >= 5}


def _prompts(captions: dict[int, list[str]], wrong: float, seed: int) -> dict[int, str]:
    rng = random.Random(seed)
    ids = sorted(captions)
    prompts = {}
    for image_id in ids:
        other = captions[rng.choice([i for i in ids if i != image_id][:50] or ids)]
        if rng.random() < wrong:
            prompts[image_id] = rng.choice(other)
        else:
            extra = rng.choice(other).rstrip(".").split(" with ")[0]
            prompts[image_id] = f"{captions[image_id][1].rstrip('.')}, {extra}"
    return prompts


def _store(home: Path, captions: dict[int, list[str]], prompts: dict[int, str]) -> dict[int, int]:
    """Index the texts; returns catalog id -> COCO image id."""
    with Store(home) as store:
        catalog = store.catalog
        paths = {image_id: f"/coco/{image_id}.jpg" for image_id in captions}
        catalog.add_pending((p, 1, 1) for p in paths.values())
        catalog.commit_analyses(
            [
                Analysis(
                    path=paths[i],
                    sha256=str(i),
                    size=1,
                    mtime_ns=1,
                    width=1,
                    height=1,
                    format="JPEG",
                    taken_at=None,
                    caption=captions[i][0],
                    embedder="none",
                    captioner="none",
                    vectors={},
                    prompt=prompts[i],
                    ai_generated=True,
                )
                for i in captions
            ]
        )
        rows = store.images.rows_under("/coco")
        return {row.id: int(Path(row.path).stem) for row in rows.values()}


def _measure(
    home: Path, captions: dict[int, list[str]], ids: dict[int, int], channel: str
) -> dict[str, dict]:
    """Per weight, the channel's MRR and recalls over every query (captions 2 to 4)."""
    queries = [(image_id, q) for image_id, texts in captions.items() for q in texts[2:5]]
    sources = ("model", "user", "prompt")
    out = {}
    with Store(home) as store:
        vectors = (
            _text_model(home).embed_texts([q for _, q in queries]) if channel == "caption" else None
        )
        for weight in WEIGHTS:
            ranks = []
            for n, (image_id, query) in enumerate(queries):
                if vectors is not None:
                    hits = ch.caption(store, vectors[n][None, :], None, DEPTH, sources, weight)
                else:
                    hits = ch.words(store, query, "", Filters(), DEPTH, sources, 3.0, (), weight)
                ranks.append(first_relevant_rank([ids[i] for i in hits.ids], {image_id}))
            out[str(weight)] = {
                "mrr": round(mean_reciprocal_rank(ranks), 4),
                "r@1": round(recall_at(ranks, 1), 4),
                "r@10": round(recall_at(ranks, 10), 4),
                "queries": len(ranks),
            }
    return out


def _text_model(home: Path) -> TextEmbedder:
    settings = Settings(home=home, allow_download=False)
    return ModelProvider(settings, PresetCatalog().preset("tiny")).text_embedder()


def _embed(home: Path) -> None:
    """Caption and prompt vectors (the indexer's own sweep), then their vector indexes."""
    with Store(home) as store:
        settings = Settings(home=home, allow_download=False)
        sync_text_vectors(store.catalog, ModelProvider(settings, PresetCatalog().preset("tiny")))
        for space in (CAPTION_SPACE, PROMPT_SPACE):
            store.vector_index(space, save=True)


def _library(
    work: Path, name: str, captions: dict[int, list[str]], args: argparse.Namespace
) -> dict:
    home = work / name
    ids = _store(home, captions, _prompts(captions, args.wrong, args.seed))
    _embed(home)
    return {c: _measure(home, captions, ids, c) for c in CHANNELS}


def _worst_gain(sizes: dict[int, dict], channel: str, w: float) -> float:
    """The gain over ignoring prompts (weight 0) in the worst of the tuning libraries: a
    weight that only pays off in a large library must not cost a small one."""
    return min(f[channel][str(w)]["mrr"] - f[channel]["0.0"]["mrr"] for f in sizes.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wrong", type=float, default=0.2, help="share of wrong prompts")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    results: dict[str, dict] = {}
    sizes: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="picsift-prompt-") as folder:
        work = Path(folder)
        tune = _captions("coco-dev")
        for size in TUNE_SIZES:
            sizes[size] = _library(work, f"tune-{size}", dict(sorted(tune.items())[:size]), args)
        for name in SETS["test"]:
            captions = _captions(name)
            results[name] = {"images": len(captions), **_library(work, name, captions, args)}
    chosen = {
        c: max(WEIGHTS, key=lambda w, c=c: (round(_worst_gain(sizes, c, w), 4), -w))
        for c in CHANNELS
    }
    report = {
        "wrong": args.wrong,
        "seed": args.seed,
        "chosen": chosen,
        "rule": "per channel, max over weights of the worst MRR gain over weight 0 across "
        f"coco-dev libraries of {TUNE_SIZES} images",
        "tune": {str(k): v for k, v in sizes.items()},
        "test": results,
    }
    out = REPO / "bench" / "results" / "prompt_weight.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    for channel in CHANNELS:
        w = chosen[channel]
        print(f"{channel}: chosen {w} (worst tuning gain {_worst_gain(sizes, channel, w):+.3f})")
        rows = [(f"tune {k}", v) for k, v in sizes.items()] + list(results.items())
        for label, found in rows:
            line = ", ".join(f"{x}: {found[channel][str(x)]['mrr']:.3f}" for x in WEIGHTS)
            print(f"  {label:>16} MRR by weight: {line}")


if __name__ == "__main__":
    main()

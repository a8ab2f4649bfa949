"""Caption metrics: the COCO reference metrics, plus measures that need no references.

Reference metrics (BLEU-1..4, METEOR, ROUGE-L, CIDEr-D) are ``pycocoevalcap``'s own code, so
numbers compare with published COCO figures. Its tokenizer and METEOR run Java; without Java
the tokenizer falls back to a lowercase word split (close to PTB for plain captions) and
METEOR is skipped with a note rather than failing the run. SPICE downloads models at run
time, so it is left out.

Reference-free: CLIPScore (Hessel et al., 2021: 2.5 x max(cos(image, "A photo depicts " +
caption), 0)), length and vocabulary statistics, and agreement between captioners (ROUGE-L of
one model's caption against another's).
"""

from __future__ import annotations

import re
import shutil
import statistics
from collections.abc import Mapping, Sequence
from itertools import combinations, pairwise
from typing import Any

import numpy as np

from picsift.errors import PicsiftError

CLIPSCORE_W = 2.5
CLIPSCORE_PREFIX = "A photo depicts "
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


def _require() -> None:
    try:
        import pycocoevalcap  # noqa: F401
    except ImportError:
        raise PicsiftError(
            "caption metrics need pycocoevalcap: pip install 'picsift[eval]'"
        ) from None


def java_available() -> bool:
    return shutil.which("java") is not None


def simple_tokenize(text: str) -> str:
    """Lowercase words without punctuation: PTB's result for ordinary captions."""
    return " ".join(_WORD.findall(text.lower()))


def _tokenize(texts: Mapping[str, Sequence[str]], java: bool) -> dict[str, list[str]]:
    if java:
        from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

        coco = {k: [{"caption": c} for c in v] for k, v in texts.items()}
        return {k: list(v) for k, v in PTBTokenizer().tokenize(coco).items()}
    return {k: [simple_tokenize(c) for c in v] for k, v in texts.items()}


def reference_metrics(
    candidates: Mapping[str, str],
    references: Mapping[str, Sequence[str]],
    java: bool | None = None,
) -> dict[str, Any]:
    """Corpus-level BLEU-1..4, METEOR (with Java), ROUGE-L and CIDEr-D over the keys that have
    both a candidate and at least one reference."""
    _require()
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    java = java_available() if java is None else java
    keys = sorted(k for k in candidates if references.get(k))
    if not keys:
        raise PicsiftError("no image has both a caption and a reference caption")
    res = _tokenize({k: [candidates[k]] for k in keys}, java)
    gts = _tokenize({k: list(references[k]) for k in keys}, java)
    out: dict[str, Any] = {"images": len(keys), "tokenizer": "ptb" if java else "simple"}
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    out |= {f"BLEU-{i + 1}": float(b) for i, b in enumerate(bleu)}
    if java:
        from pycocoevalcap.meteor.meteor import Meteor

        meteor = Meteor()
        try:
            out["METEOR"] = float(meteor.compute_score(gts, res)[0])
        finally:  # the wrapper has no close(); don't leave a 2 GB JVM behind
            meteor.meteor_p.kill()
            meteor.meteor_p.wait()
    else:
        out["METEOR"] = None
        out["note"] = "METEOR skipped: it needs Java (apt-get install default-jre-headless)"
    out["ROUGE-L"] = float(Rouge().compute_score(gts, res)[0])
    out["CIDEr"] = float(Cider().compute_score(gts, res)[0])
    return out


def clip_score(image_vectors: np.ndarray, caption_vectors: np.ndarray) -> float:
    """Mean CLIPScore over pairs of unit vectors (row i of each belongs together)."""
    if len(image_vectors) == 0:
        return 0.0
    cos = np.sum(np.asarray(image_vectors) * np.asarray(caption_vectors), axis=1)
    return float(np.mean(CLIPSCORE_W * np.maximum(cos, 0.0)))


def text_stats(captions: Sequence[str]) -> dict[str, float]:
    """Length and vocabulary: short generic captions search badly, so these matter."""
    tokens = [simple_tokenize(c).split() for c in captions]
    words = [w for t in tokens for w in t]
    bigrams = {(a, b) for t in tokens for a, b in pairwise(t)}
    n_bigrams = sum(max(len(t) - 1, 0) for t in tokens)
    return {
        "captions": len(captions),
        "mean_words": round(statistics.fmean(len(t) for t in tokens), 2) if tokens else 0.0,
        "median_words": float(statistics.median(len(t) for t in tokens)) if tokens else 0.0,
        "vocabulary": len(set(words)),
        "type_token_ratio": round(len(set(words)) / len(words), 4) if words else 0.0,
        "distinct_2": round(len(bigrams) / n_bigrams, 4) if n_bigrams else 0.0,
    }


def agreement(captions_by_model: Mapping[str, Mapping[str, str]]) -> dict[str, float]:
    """ROUGE-L between every pair of models' captions of the same images (symmetrised)."""
    _require()
    from pycocoevalcap.rouge.rouge import Rouge

    out: dict[str, float] = {}
    for a, b in combinations(sorted(captions_by_model), 2):
        keys = sorted(set(captions_by_model[a]) & set(captions_by_model[b]))
        if not keys:
            continue
        ca = {k: [simple_tokenize(captions_by_model[a][k])] for k in keys}
        cb = {k: [simple_tokenize(captions_by_model[b][k])] for k in keys}
        ab = Rouge().compute_score(ca, cb)[0]
        ba = Rouge().compute_score(cb, ca)[0]
        out[f"{a} vs {b}"] = round(float((ab + ba) / 2), 4)
    return out

"""Does a generated picture show what its prompt asked for?

Two measures, both from the CLIP model the library already holds, placed against the
library's own pictures so that they read the same whatever the model's raw scale:

- the whole prompt: its CLIP similarity to the picture, as the share of a fixed sample of
  the library's pictures that it suits less well (1.0: no picture fits the prompt better;
  0.5: the picture is as unrelated to the prompt as a typical one);
- each phrase the prompt names (:mod:`picsift.prompts.phrases`): supported when its head
  noun appears in the caption or in the facets' words (tags, objects, text read in the
  image), or when its CLIP similarity to the picture beats ``support`` of the sample.

Pure functions of vectors and texts: the sweep that stores them (:mod:`picsift.prompts.sweep`)
and the fakes in the tests feed them. With random weights (the tiny presets) the numbers
run through the same code and mean nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import numpy as np

from picsift.prompts.phrases import head, singular

MIN_SAMPLE = 8  # fewer pictures than this to compare with: no percentile
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class PhraseCheck:
    phrase: str
    clip: float  # cosine similarity of the phrase and the picture
    percentile: float | None  # share of the sample the phrase suits less than this picture
    found_in: tuple[str, ...]  # where its head noun appears: caption, tags
    supported: bool


@dataclass(frozen=True)
class Agreement:
    clip: float
    percentile: float | None
    phrases: tuple[PhraseCheck, ...]
    model: str
    sample: int  # how many library pictures the percentiles compare with

    @property
    def unsupported(self) -> list[str]:
        return [p.phrase for p in self.phrases if not p.supported]

    def notes(self) -> list[str]:
        """One sentence per phrase nothing in the picture supports."""
        return [
            f"the prompt names '{p}'; nothing in the picture supports it" for p in self.unsupported
        ]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Agreement:
        data = json.loads(text)
        checks = tuple(
            PhraseCheck(
                str(p["phrase"]),
                float(p["clip"]),
                None if p["percentile"] is None else float(p["percentile"]),
                tuple(p["found_in"]),
                bool(p["supported"]),
            )
            for p in data["phrases"]
        )
        percentile = data["percentile"]
        return cls(
            float(data["clip"]),
            None if percentile is None else float(percentile),
            checks,
            str(data["model"]),
            int(data["sample"]),
        )


def _share_below(score: float, others: np.ndarray) -> float | None:
    if len(others) < MIN_SAMPLE:
        return None
    return round(float(np.mean(others < score)), 4)


def _heads(texts: dict[str, str]) -> dict[str, set[str]]:
    return {
        name: {singular(w) for w in _WORD.findall(text.lower())} for name, text in texts.items()
    }


def check(
    prompt_vector: np.ndarray,
    phrase_vectors: np.ndarray,
    phrase_list: list[str],
    image_vector: np.ndarray,
    sample: np.ndarray,
    texts: dict[str, str],
    *,
    model: str,
    support: float,
) -> Agreement:
    """Agreement of one picture (``image_vector``) with its prompt and each phrase.

    ``sample``: unit vectors of library pictures other than this one; ``texts``: what else
    describes it, by source ("caption", "tags"). All vectors are unit length (the
    embedder normalises them), so a dot product is the cosine."""
    clip = float(prompt_vector @ image_vector)
    others = sample @ prompt_vector if len(sample) else np.zeros(0, np.float32)
    words = _heads(texts)
    checks = []
    for phrase, vector in zip(phrase_list, phrase_vectors, strict=True):
        score = float(vector @ image_vector)
        percentile = _share_below(score, sample @ vector if len(sample) else others)
        noun = head(phrase)
        found = tuple(name for name, heads in words.items() if noun and noun in heads)
        supported = bool(found) or (percentile is not None and percentile >= support)
        checks.append(PhraseCheck(phrase, round(score, 4), percentile, found, supported))
    return Agreement(round(clip, 4), _share_below(clip, others), tuple(checks), model, len(sample))

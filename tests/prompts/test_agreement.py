"""Agreement of a picture with its prompt, from vectors and texts: exact results."""

from __future__ import annotations

import numpy as np

from picsift.prompts.agreement import MIN_SAMPLE, Agreement, check


def _unit(*values: float) -> np.ndarray:
    v = np.asarray(values, np.float32)
    return v / np.linalg.norm(v)


def test_phrases_supported_by_words_or_by_clip_and_the_rest_flagged() -> None:
    image = _unit(1, 0, 0)
    sample = np.stack([_unit(0, 1, 0)] * 6 + [_unit(0, 0, 1)] * 6)  # other pictures
    prompt = _unit(1, 1, 0)
    phrase_vectors = np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0.2, 1)])
    found = check(
        prompt,
        phrase_vectors,
        ["red dress", "golden retriever", "wooden chairs"],
        image,
        sample,
        {"caption": "a woman in a red dress", "tags": "chair indoor"},
        model="fake",
        support=0.75,
    )
    red, dog, chairs = found.phrases
    assert red.supported and red.found_in == ("caption",) and red.percentile == 1.0
    assert not dog.supported and dog.found_in == () and dog.percentile == 0.0
    assert chairs.supported and chairs.found_in == ("tags",)  # "chairs" -> "chair"
    assert found.unsupported == ["golden retriever"]
    assert found.notes() == [
        "the prompt names 'golden retriever'; nothing in the picture supports it"
    ]
    assert found.percentile == 0.5 and found.sample == 12  # ties with half, beats the rest
    assert Agreement.from_json(found.to_json()) == found


def test_too_small_a_library_gives_no_percentile() -> None:
    image = _unit(1, 0)
    sample = np.stack([_unit(0, 1)] * (MIN_SAMPLE - 1))
    found = check(
        _unit(1, 0), np.stack([_unit(0, 1)]), ["hat"], image, sample, {}, model="m", support=0.75
    )
    assert found.percentile is None and found.phrases[0].percentile is None
    assert not found.phrases[0].supported  # no words, no comparison: not supported
    assert found.clip == 1.0

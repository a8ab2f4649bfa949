"""Fusion of hand-made rankings: normalised scores (default) and weighted RRF, and the
relative cutoff."""

from __future__ import annotations

import pytest

from picsift.search.fusion import FLOOR_RANK, ChannelHits, Fused, fuse, scaled


def _ids(fused: list[Fused]) -> list[int]:
    return [f.id for f in fused]


@pytest.mark.parametrize("method", ["scores", "rrf"])
def test_equal_weights_reward_agreement(method: str) -> None:
    a = ChannelHits("clip", [1, 2, 3], [0.9, 0.8, 0.7])
    b = ChannelHits("words", [2, 4, 1], [9.0, 5.0, 1.0], zero=0.0)
    fused = fuse([a, b], {"clip": 1.0, "words": 1.0}, method=method)  # type: ignore[arg-type]
    assert _ids(fused)[0] == 2
    assert fused[0].channels == {
        "clip": {"rank": 2, "score": 0.8},
        "words": {"rank": 1, "score": 9.0},
    }


@pytest.mark.parametrize("method", ["scores", "rrf"])
def test_weights_let_the_strong_channel_lead(method: str) -> None:
    strong = ChannelHits("caption", [1, 2, 3], [0.9, 0.5, 0.4])
    weak = ChannelHits("words", [3, 2, 1], [3.0, 2.0, 1.0], zero=0.0)
    kw = {"method": method}
    assert _ids(fuse([strong, weak], {"caption": 1.0, "words": 0.25}, **kw))[0] == 1  # type: ignore[arg-type]
    assert _ids(fuse([strong, weak], {"caption": 0.25, "words": 1.0}, **kw))[0] == 3  # type: ignore[arg-type]
    assert _ids(fuse([strong, weak], {"caption": 1.0, "words": 0.0}, **kw)) == [1, 2, 3]  # type: ignore[arg-type]


def test_a_clear_dense_win_survives_a_weak_word_match() -> None:
    """What RRF gets wrong: the caption channel is sure of image 1 (0.80 against 0.60); the
    words channel slightly prefers image 2. RRF sees ranks 1 and 2 (1/61 vs 1/62) and lets
    the words channel decide; scores keep the caption channel's margin."""
    caption = ChannelHits("caption", [1, 2, 3, 4], [0.80, 0.60, 0.58, 0.55])
    words = ChannelHits("words", [2, 1], [5.0, 4.6], zero=0.0)
    weights = {"caption": 1.0, "words": 1.5}
    assert _ids(fuse([caption, words], weights, method="rrf"))[0] == 2
    assert _ids(fuse([caption, words], weights, method="scores"))[0] == 1


def test_a_sure_word_match_beats_a_flat_dense_ranking() -> None:
    """An exact-token query: the caption channel barely separates its hits, the words
    channel finds one image far above any other."""
    flat = [0.40 - i / 1000 for i in range(60)]  # 0.400 ... 0.341
    caption = ChannelHits("caption", list(range(60)), flat)
    words = ChannelHits("words", [7, 0], [12.0, 1.0], zero=0.0)
    assert _ids(fuse([caption, words], {"caption": 1.0, "words": 0.5}))[0] == 7


def test_scaled_puts_the_best_at_one_and_the_floor_rank_at_zero() -> None:
    scores = [1.0 - i / 100 for i in range(FLOOR_RANK + 10)]
    values = scaled(ChannelHits("clip", list(range(len(scores))), scores))
    assert values[0] == pytest.approx(1.0)
    assert values[FLOOR_RANK - 1] == pytest.approx(0.0)
    assert values[-1] < 0  # below the floor: less than no evidence, still in order
    assert values == sorted(values, reverse=True)
    words = ChannelHits("words", [1, 2], [4.0, 1.0], zero=0.0)
    assert scaled(words) == [1.0, 0.25]
    assert scaled(ChannelHits("clip", [7], [0.2])) == [1.0]


def test_one_channel_keeps_its_own_order() -> None:
    scores = [0.9 - i / 1000 for i in range(120)]
    clip = ChannelHits("clip", list(range(120)), scores)
    assert _ids(fuse([clip], {"clip": 1.0})) == list(range(120))


def test_an_image_missing_from_a_dense_channel_counts_as_its_last_hit() -> None:
    caption = ChannelHits("caption", [1, 2], [0.9, 0.5])
    words = ChannelHits("words", [3], [2.0], zero=0.0)
    fused = {f.id: f.score for f in fuse([caption, words], {"caption": 1.0, "words": 1.0})}
    assert fused[3] == pytest.approx(0.0 + 1.0)  # caption's last hit scales to 0, words 1


def test_relative_cutoff_drops_what_every_channel_ranks_far_below_its_best() -> None:
    clip = ChannelHits("clip", [1, 2, 3], [0.30, 0.28, 0.10])
    words = ChannelHits("words", [3], [1.0], zero=0.0)
    assert _ids(fuse([clip], {"clip": 1.0}, cutoff=0.5)) == [1, 2]
    # 3 is junk for clip but the words channel's best: it stays
    assert 3 in _ids(fuse([clip, words], {"clip": 1.0, "words": 1.0}, cutoff=0.5))
    assert _ids(fuse([clip], {"clip": 1.0}, cutoff=0.0)) == [1, 2, 3]

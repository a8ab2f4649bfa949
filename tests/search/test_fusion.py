"""Weighted reciprocal rank fusion and the relative cutoff on hand-made rankings."""

from __future__ import annotations

from picsift.search.fusion import ChannelHits, fuse


def _ids(fused) -> list[int]:
    return [f.id for f in fused]


def test_equal_weights_reward_agreement() -> None:
    a = ChannelHits("clip", [1, 2, 3], [0.9, 0.8, 0.7])
    b = ChannelHits("words", [2, 4, 1], [9.0, 5.0, 1.0])
    fused = fuse([a, b], {"clip": 1.0, "words": 1.0}, k=60)
    assert _ids(fused)[:2] == [2, 1]
    assert fused[0].channels == {
        "clip": {"rank": 2, "score": 0.8},
        "words": {"rank": 1, "score": 9.0},
    }


def test_weights_let_the_strong_channel_lead() -> None:
    strong = ChannelHits("caption", [1, 2, 3], [0.9, 0.5, 0.4])
    weak = ChannelHits("words", [3, 2, 1], [3.0, 2.0, 1.0])
    assert _ids(fuse([strong, weak], {"caption": 1.0, "words": 0.25}))[0] == 1
    assert _ids(fuse([strong, weak], {"caption": 0.25, "words": 1.0}))[0] == 3
    assert _ids(fuse([strong, weak], {"caption": 1.0, "words": 0.0})) == [1, 2, 3]


def test_relative_cutoff_drops_what_every_channel_ranks_far_below_its_best() -> None:
    clip = ChannelHits("clip", [1, 2, 3], [0.30, 0.28, 0.10])
    words = ChannelHits("words", [3], [1.0])
    assert _ids(fuse([clip], {"clip": 1.0}, cutoff=0.5)) == [1, 2]
    # 3 is junk for clip but the words channel's best: it stays
    assert 3 in _ids(fuse([clip, words], {"clip": 1.0, "words": 1.0}, cutoff=0.5))
    assert _ids(fuse([clip], {"clip": 1.0}, cutoff=0.0)) == [1, 2, 3]

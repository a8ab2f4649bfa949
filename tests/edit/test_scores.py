"""The structure and effect measures, on arrays whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from picsift.edit import scores as sc


def _square(shift: int = 0, side: int = 64) -> np.ndarray:
    edges = np.zeros((side, side), np.uint8)
    edges[16 + shift, 16:48] = edges[47 + shift, 16:48] = 255
    edges[16:48, 16 + shift] = edges[16:48, 47 + shift] = 255
    return edges


def test_edges_the_same_score_one_and_a_small_shift_is_forgiven() -> None:
    assert sc.edge_f_score(_square(), _square()) == pytest.approx(1.0)
    assert sc.edge_f_score(_square(), _square(shift=1)) == pytest.approx(1.0)
    assert sc.edge_f_score(_square(), _square(shift=8)) < 0.3


def test_edges_on_one_side_only_score_zero_and_none_on_both_agree() -> None:
    empty = np.zeros((64, 64), np.uint8)
    assert sc.edge_f_score(_square(), empty) == 0.0
    assert sc.edge_f_score(empty, _square()) == 0.0
    assert sc.edge_f_score(empty, empty) == 1.0


def test_extra_edges_cost_precision_not_recall() -> None:
    busy = _square().copy()
    busy[::4, :] = 255
    score = sc.edge_f_score(_square(), busy)
    assert 0.0 < score < 0.8


def test_depth_agreement_ignores_scale_and_shift_but_not_reversal() -> None:
    rng = np.random.default_rng(0)
    depth = rng.random((64, 64)).astype(np.float32)
    assert sc.depth_agreement(depth, 0.5 * depth + 0.2) == pytest.approx(1.0)
    assert sc.depth_agreement(depth, 1.0 - depth) == 0.0
    assert sc.depth_agreement(depth, np.full_like(depth, 0.5)) == 0.0


def test_directional_similarity_follows_the_direction_of_change() -> None:
    before, after = np.array([1.0, 0.0, 0.0]), np.array([0.6, 0.8, 0.0])
    words_before, words_after = np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.8, 0.6])
    toward = sc.directional_similarity(before, after, words_before, words_after)
    away = sc.directional_similarity(after, before, words_before, words_after)
    assert toward > 0.5 and away < -0.5
    assert sc.directional_similarity(before, before, words_before, words_after) == 0.0


def test_structure_is_the_mean_of_the_measures_taken() -> None:
    assert sc.structure_of(0.4, 0.8) == pytest.approx(0.6)
    assert sc.structure_of(0.4, None) == pytest.approx(0.4)
    assert sc.structure_of(None, None) == 0.0


def test_target_text_appends_the_instruction_to_the_caption() -> None:
    assert sc.target_text("A hotel room with a bed.", "at night") == (
        "A hotel room with a bed, at night"
    )
    assert sc.target_text("", "at night") == "at night"

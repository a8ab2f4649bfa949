"""Instructions and options are checked before anything loads."""

from __future__ import annotations

import pytest

from picsift.edit.request import MAX_INSTRUCTION, EditOptions, clean_instruction
from picsift.errors import EditError


def test_an_instruction_is_kept_on_one_line() -> None:
    assert clean_instruction("  at\tnight\n\x00please ") == "at night please"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01"])
def test_an_empty_instruction_is_refused(text: str) -> None:
    with pytest.raises(EditError, match="empty"):
        clean_instruction(text)


def test_an_over_long_instruction_is_refused_with_its_length() -> None:
    with pytest.raises(EditError, match=f"{MAX_INSTRUCTION + 1} characters"):
        clean_instruction("x" * (MAX_INSTRUCTION + 1))


@pytest.mark.parametrize(
    ("options", "word"),
    [
        (EditOptions(strength=0.0), "strength"),
        (EditOptions(strength=1.5), "strength"),
        (EditOptions(candidates=0), "candidates"),
        (EditOptions(candidates=9), "candidates"),
        (EditOptions(seed=-1), "seed"),
    ],
)
def test_out_of_range_options_are_refused_by_name(options: EditOptions, word: str) -> None:
    with pytest.raises(EditError, match=word):
        options.check(max_candidates=8)


def test_options_survive_a_round_trip_through_json_data() -> None:
    options = EditOptions("structure", ("depth",), 0.6, 7, 3, True)
    assert EditOptions.from_dict(options.as_dict()) == options
    assert EditOptions.from_dict({}) == EditOptions()

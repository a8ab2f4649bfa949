"""Raw OCR boxes into lines, with exact expectations: a line the detector cut in two is read
once, words stay apart, rows come top to bottom, unsure boxes are dropped."""

from __future__ import annotations

from picsift.describe.ocr_lines import Piece, merge_row, pieces, read_lines, rows


def _piece(text: str, x0: float, x1: float, y0: float = 0, y1: float = 40, conf: float = 0.99):
    """Characters spread evenly over the box, as the recogniser's boxes roughly are."""
    step = (x1 - x0) / max(1, len(text))
    chars = tuple((c, x0 + i * step, x0 + (i + 1) * step) for i, c in enumerate(text))
    return Piece(text, conf, (x0, y0, x1, y1), chars)


def test_rapidocr_rows_with_character_boxes_become_pieces() -> None:
    square = [[0, 0], [10, 0], [10, 20], [0, 20]]
    raw = [[square, "ab", 0.9, [square, square], ["a", "b"], [0.9, 0.9]], [square, "c", 0.8]]
    first, second = pieces(raw)
    assert first.chars == (("a", 0, 10), ("b", 0, 10)) and first.box == (0, 0, 10, 20)
    assert second.chars == () and second.confidence == 0.8
    assert pieces(None) == []


# What RapidOCR (PP-OCRv4) returned on rendered signs (bench/make_ocr_set.py --split tune):
# text, confidence, box (x0, y0, x1, y1), character x spans. Rounded to pixels.
SEA_VIEW = [
    Piece("Sea view suite 2", 0.983, (52, 47, 565, 134), (
        ("S", 70, 103), ("e", 111, 144), ("a", 152, 175), (" ", 174, 198), ("v", 206, 237),
        ("i", 236, 264), ("e", 263, 294), ("w", 316, 346), (" ", 345, 373), ("s", 372, 403),
        ("u", 411, 442), ("i", 441, 469), ("t", 468, 496), ("e", 495, 524), (" ", 523, 551),
        ("2", 550, 565),
    )),
    Piece("204", 1.0, (536, 51, 685, 125), (("2", 544, 587), ("0", 592, 631), ("4", 630, 670))),
]  # fmt: skip
OPEN = [
    Piece("Open:", 0.892, (27, 27, 132, 70), (
        ("O", 31, 53), ("p", 51, 74), ("e", 76, 98), ("n", 97, 119), (":", 120, 132),
    )),
    Piece("24 hours", 0.999, (123, 29, 272, 61), (
        ("2", 126, 144), ("4", 147, 164), (" ", 163, 179), ("h", 179, 196), ("o", 200, 217),
        ("u", 216, 234), ("r", 237, 252), ("s", 252, 266),
    )),
]  # fmt: skip
ROOM = [
    Piece("Room s", 0.927, (22, 21, 97, 44), (
        ("R", 24, 36), ("o", 39, 51), ("o", 51, 63), ("m", 66, 78), (" ", 78, 88), ("s", 88, 97),
    )),
    Piece("service", 0.998, (86, 23, 159, 43), (
        ("s", 89, 98), ("e", 98, 108), ("r", 108, 117), ("v", 117, 127), ("i", 127, 136),
        ("c", 136, 146), ("e", 146, 155),
    )),
]  # fmt: skip
LATE = [
    Piece("Late", 0.999, (20, 20, 89, 51), (
        ("L", 23, 37), ("a", 39, 52), ("t", 50, 62), ("e", 60, 75),
    )),
    Piece("checkout", 1.0, (83, 22, 200, 45), (
        ("c", 85, 97), ("h", 97, 111), ("e", 112, 126), ("c", 127, 141), ("k", 142, 157),
        ("o", 158, 170), ("u", 170, 184), ("t", 185, 199),
    )),
]  # fmt: skip


def test_a_line_cut_in_two_overlapping_boxes_is_read_once() -> None:
    assert merge_row(SEA_VIEW).text == "Sea view suite 204"  # not "Sea view suite 2 204"


def test_punctuation_read_in_the_overlap_is_dropped() -> None:
    assert merge_row(OPEN).text == "Open 24 hours"  # not "Open: 24 hours"


def test_a_space_at_the_seam_or_a_wide_gap_keeps_words_apart() -> None:
    assert merge_row(ROOM).text == "Room service"  # not "Room sservice"
    assert merge_row(LATE).text == "Late checkout"  # touching boxes, letters 10 px apart
    assert merge_row([_piece("Gift", 0, 60), _piece("shop", 80, 140)]).text == "Gift shop"


def test_rows_read_top_to_bottom_then_left_to_right_whatever_their_heights() -> None:
    tall = _piece("closed today", 203, 643, 43, 140)
    short = _piece("Pool c", 60, 244, 59, 121)
    below = _piece("second line", 0, 200, 200, 240)
    assert [[p.text for p in r] for r in rows([below, tall, short])] == [
        ["Pool c", "closed today"],
        ["second line"],
    ]


def test_unsure_boxes_are_dropped_and_rows_without_boxes_join_with_spaces() -> None:
    found = [_piece("Gift shop", 0, 100), _piece("SV", 0, 50, 200, 260, conf=0.54)]
    assert [line.text for line in read_lines(found, 0.7)] == ["Gift shop"]
    plain = [Piece("Gift", 0.9, (0, 0, 40, 20)), Piece("shop", 0.9, (45, 0, 90, 20))]
    assert merge_row(plain).text == "Gift shop"

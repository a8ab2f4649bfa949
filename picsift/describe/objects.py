"""Detected objects in words people can read: "three chairs", "a lamp on the left".

The objects facet itself (boxes, counts, the subject) is :mod:`picsift.describe.facets.objects`;
the templates use these phrases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from picsift.describe.model import DetectedObject

MAX_PHRASES = 6
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_INVARIANT = {"people", "sheep", "fish", "deer", "glasses", "jeans", "shorts", "trousers"}
_IRREGULAR = {"person": "people", "man": "men", "woman": "women", "child": "children"}


def plural(label: str) -> str:
    """English plural of a label's last word (good enough for object names)."""
    head, _, last = label.rpartition(" ")
    if last in _INVARIANT:
        word = last
    elif last in _IRREGULAR:
        word = _IRREGULAR[last]
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        word = last + "es"
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def count_phrase(count: int, label: str) -> str:
    """``3, "chair"`` -> "three chairs"; ``1, "apple"`` -> "an apple"."""
    if count == 1:
        return ("an " if label[:1].lower() in "aeiou" else "a ") + label
    number = _NUMBERS[count] if count < len(_NUMBERS) else str(count)
    return f"{number} {plural(label)}"


def _where(position: str) -> str:
    if position == "centre":
        return "in the centre"
    row, _, col = position.partition(" ")
    if row == "middle":
        return f"on the {col}"
    return f"at the {position}" if col != "centre" else f"at the {row}"


def object_phrases(objects: Sequence[DetectedObject], limit: int = MAX_PHRASES) -> list[str]:
    """Most frequent labels first; a lone object also says where it is."""
    counts = Counter(o.label for o in objects)
    out = []
    for label, n in counts.most_common(limit):
        phrase = count_phrase(n, label)
        if n == 1:
            lone = next(o for o in objects if o.label == label)
            phrase += " " + _where(lone.position)
        out.append(phrase)
    return out

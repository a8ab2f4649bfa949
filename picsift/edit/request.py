"""What an edit asks for, checked before any model loads or any file is read."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

from picsift.errors import EditError

MAX_INSTRUCTION = 300  # characters; CLIP's text tower reads 77 tokens at most


@dataclass(frozen=True)
class EditOptions:
    method: str | None = None  # None: the preset's first method
    keep: tuple[str, ...] | None = None  # structure maps to hold; None: the method's default
    strength: float | None = None  # None: the method's default
    seed: int = 0
    candidates: int = 1
    force: bool = False  # keep a variant below the structure threshold

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["keep"] = None if self.keep is None else list(self.keep)
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EditOptions:
        keep = raw.get("keep")
        return cls(
            method=raw.get("method"),
            keep=None if keep is None else tuple(str(k) for k in keep),
            strength=raw.get("strength"),
            seed=int(raw.get("seed", 0)),
            candidates=int(raw.get("candidates", 1)),
            force=bool(raw.get("force", False)),
        )

    def check(self, max_candidates: int) -> None:
        if self.strength is not None and not 0.0 < self.strength <= 1.0:
            raise EditError(f"strength must be above 0 and at most 1, not {self.strength}")
        if not 1 <= self.candidates <= max_candidates:
            raise EditError(f"candidates must be 1 to {max_candidates}, not {self.candidates}")
        if not 0 <= self.seed < 2**63:
            raise EditError(f"seed must be a whole number from 0 to 2^63 - 1, not {self.seed}")


def clean_instruction(text: str) -> str:
    """The instruction on one line, or EditError saying why it cannot be used."""
    cleaned = " ".join(
        "".join(" " if unicodedata.category(c).startswith("C") else c for c in text).split()
    )
    if not cleaned:
        raise EditError('the instruction is empty: say what to change, e.g. "at night"')
    if len(cleaned) > MAX_INSTRUCTION:
        raise EditError(
            f"the instruction is {len(cleaned)} characters long; at most {MAX_INSTRUCTION}"
        )
    return cleaned

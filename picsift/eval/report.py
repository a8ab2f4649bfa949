"""One report folder per evaluation: ``NAME.json`` for machines, ``NAME.md`` + PNGs for people.

Every report opens with what produced the numbers (models, data); when a model has random
weights, the very first line says the numbers measure mechanics only, so a report copied out
of context cannot be mistaken for a quality claim.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from picsift.errors import PicsiftError

MECHANICS_ONLY = (
    "**These numbers measure mechanics only**: they were produced with random-weight models "
    "({models}), so they say nothing about quality."
)


@dataclass
class Report:
    name: str
    title: str
    models: dict[str, str]
    meaningless: bool
    data: dict[str, Any]
    sections: list[str] = field(default_factory=list)  # Markdown blocks, in order
    figures: list[tuple[str, Any]] = field(default_factory=list)  # (file stem, Figure)

    def markdown(self, figure_files: Sequence[str] = ()) -> str:
        lines = []
        if self.meaningless:
            lines += [
                MECHANICS_ONLY.format(models=", ".join(sorted(set(self.models.values())))),
                "",
            ]
        lines += [f"# {self.title}", ""]
        lines += [f"- {role}: `{model}`" for role, model in self.models.items()]
        lines.append("")
        for block in self.sections:
            lines += [block.rstrip(), ""]
        for file in figure_files:
            lines += [f"![{Path(file).stem}]({file})", ""]
        return "\n".join(lines)

    def write(self, folder: Path) -> list[Path]:
        """Write JSON, Markdown and PNGs (atomically per file); returns the files written."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PicsiftError(f"cannot create report folder {folder}: {exc}") from None
        written = []
        pngs = []
        for stem, figure in self.figures:
            path = folder / f"{self.name}-{stem}.png"
            figure.savefig(path, dpi=110, bbox_inches="tight")
            written.append(path)
            pngs.append(path.name)
        payload = {
            "models": self.models,
            "mechanics_only": self.meaningless,
            **self.data,
        }
        for path, text in (
            (folder / f"{self.name}.json", json.dumps(payload, indent=2, default=str) + "\n"),
            (folder / f"{self.name}.md", self.markdown(pngs) + "\n"),
        ):
            tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
            written.append(path)
        return written


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats to 3 decimals, None as a dash."""

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.3f}"
        return str(value).replace("|", "\\|")

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(out)

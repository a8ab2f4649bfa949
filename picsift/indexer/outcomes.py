"""What a run has to do, and how each file's outcome reaches the catalog.

The local and the Ray indexers differ only in where files are read and analysed. Planning
(what changed), the shortcuts that avoid model work (a refreshed stat, a move, a copy) and
the commits are the same code for both, so the catalog ends the same whichever ran.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from picsift.errors import PicsiftError
from picsift.imaging.ahead import FileStat
from picsift.indexer.scan import ScanResult, scan
from picsift.indexer.timing import Stopwatch
from picsift.store import IMAGE_SPACE, Analysis, Catalog, ImageRow


class Progress(Protocol):
    """Where the indexer reports progress; the CLI draws a bar, tests count calls."""

    def stage(self, name: str) -> None: ...

    def start(self, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class NoProgress:
    def stage(self, name: str) -> None:
        pass

    def start(self, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


@dataclass
class IndexReport:
    indexed: int = 0
    unchanged: int = 0
    refreshed: int = 0
    moved: int = 0
    copied: int = 0
    pruned: int = 0
    user_captions: int = 0
    text_vectors: int = 0
    prompts_checked: int = 0  # generated images whose prompt was checked against the picture
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    model_seconds: float = 0.0
    stages: Stopwatch = field(default_factory=Stopwatch)

    @property
    def complete(self) -> bool:
        return not self.errors


@dataclass
class Plan:
    todo: list[FileStat] = field(default_factory=list)
    known: dict[str, ImageRow] = field(default_factory=dict)
    missing: dict[str, ImageRow] = field(default_factory=dict)
    user_captions: dict[str, str] = field(default_factory=dict)
    # analysed rows whose files vanished, by hash: a new path with that hash is a move
    moves: dict[str, ImageRow] = field(default_factory=dict)


def make_plan(catalog: Catalog, roots: Sequence[Path], report: IndexReport) -> Plan:
    """Scan ``roots`` and record new files as pending, so a killed run resumes from here."""
    scanned = ScanResult()
    plan = Plan()
    for root in roots:
        absolute = Path(os.path.abspath(root))
        before = len(scanned.files)
        scan(absolute, scanned)
        plan.known.update(catalog.rows_under(str(absolute)))
        if len(scanned.files) == before and not absolute.exists():
            raise PicsiftError(f"{root}: no such file or directory")
    report.errors.extend(scanned.problems)
    seen = {f.path for f in scanned.files}
    new: list[FileStat] = []
    for f in scanned.files:
        row = plan.known.get(f.path)
        if row is None:
            new.append(f)
        elif row.status == "pending" or (row.size, row.mtime_ns) != (f.size, f.mtime_ns):
            plan.todo.append(f)
        else:
            report.unchanged += 1
            if row.status == "error":
                report.errors.append((row.path, row.error or "unknown error"))
    catalog.add_pending((f.path, f.size, f.mtime_ns) for f in new)
    plan.todo.extend(new)
    plan.todo.sort(key=lambda f: f.path)
    plan.missing = {p: r for p, r in plan.known.items() if p not in seen}
    plan.moves = {r.sha256: r for r in plan.missing.values() if r.sha256 and r.status == "ok"}
    return plan


class Outcomes:
    """Records each file's outcome in the catalog and the report."""

    def __init__(
        self, catalog: Catalog, plan: Plan, report: IndexReport, progress: Progress
    ) -> None:
        self._catalog = catalog
        self._plan = plan
        self._report = report
        self._progress = progress
        self._bound = False

    def failed(self, file: FileStat, reason: str, sha256: str | None, transient: bool) -> None:
        """A file that cannot be analysed; a transient failure is retried by the next run."""
        if not transient:
            self._catalog.mark_error(file.path, reason, sha256)
        self._report.errors.append((file.path, reason))
        self._progress.advance()

    def user_caption(self, file: FileStat, caption: str | None) -> None:
        if caption:
            self._plan.user_captions[file.path] = caption

    def known_hashes(self) -> list[str]:
        """Hashes :meth:`shortcut` can settle: analysed here, or a vanished file's (a move)."""
        return self._catalog.done_hashes() + list(self._plan.moves)

    def shortcut(self, file: FileStat, sha256: str) -> bool:
        """Settle ``file`` without the models when its bytes are already analysed here."""
        row = self._plan.known.get(file.path)
        if row is not None and row.status == "ok" and row.sha256 == sha256:
            self._catalog.touch(row.id, file.size, file.mtime_ns)
            self._report.refreshed += 1
        elif (moved := self._plan.moves.pop(sha256, None)) is not None:
            self._catalog.move(moved, file.path, file.size, file.mtime_ns)
            self._plan.missing.pop(moved.path, None)
            self._report.moved += 1
        elif twins := self._catalog.find_done_by_sha(sha256):
            self._catalog.copy_result(twins[0], file.path, sha256)
            self._report.copied += 1
        else:
            return False
        self._progress.advance()
        return True

    def commit(self, analyses: Sequence[Analysis], seconds: float) -> None:
        """One transaction per batch: a kill loses at most the batches not yet committed."""
        if not analyses:
            return
        if not self._bound:  # once per run, before the first vectors are written
            model, vector = analyses[0].vectors[IMAGE_SPACE]
            self._catalog.bind_model(IMAGE_SPACE, model, int(vector.shape[-1]))
            self._bound = True
        with self._report.stages.stage("commit"):
            self._catalog.commit_analyses(analyses)
        self._report.indexed += len(analyses)
        self._report.model_seconds += seconds
        self._progress.advance(len(analyses))

    def prune(self) -> None:
        gone = [r.id for p, r in self._plan.missing.items() if not os.path.lexists(p)]
        self._report.pruned = self._catalog.delete(gone)

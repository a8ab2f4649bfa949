"""A rich progress bar (rate and ETA) behind the indexer's progress protocol."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from picsift.cli.common import err


class Bar:
    """Adapts the indexer's progress protocol to a rich progress bar with rate and ETA."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("indexing", total=None)

    def stage(self, name: str) -> None:
        self._progress.update(self._task, description=name)

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:6.1f} img/s" if task.speed else "", style="cyan")


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )

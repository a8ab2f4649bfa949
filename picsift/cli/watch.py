"""``picsift watch DIR...``: index new and changed pictures as they land in folders."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from picsift.cli.common import (
    EXIT_INTERRUPTED,
    HomeOpt,
    JsonOpt,
    ModelsOpt,
    err,
    out,
    preset_for,
    settings_for,
    user_errors,
    warn_meaningless,
)


def watch(
    paths: Annotated[list[Path], typer.Argument(help="Folders to watch (and index now).")],
    debounce: Annotated[
        float,
        typer.Option(min=0.1, max=600, help="Seconds a file must be left alone before indexing."),
    ] = 2.0,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Index the folders, then keep indexing what is added, changed or removed there until
    interrupted (Ctrl-C). Each run is an ordinary, crash-safe ``index``."""
    from picsift.indexer import Indexer
    from picsift.library.service import LibraryService
    from picsift.library.watch import FolderWatcher, WatchRun
    from picsift.models.provider import ModelProvider
    from picsift.store import Store

    def show(run: WatchRun) -> None:
        if as_json:
            out.print_json(json.dumps(run.__dict__))
        elif run.failure:
            err.print(f"[yellow]not indexed now:[/] {run.failure}", highlight=False)
        else:
            out.print(
                f"{run.reason}: indexed {run.indexed}, pruned {run.pruned}, errors "
                f"{run.errors} in {run.seconds:.1f}s",
                highlight=False,
            )

    with user_errors():
        settings = settings_for(home)
        with Store.open(settings) as store:
            preset = preset_for(settings, models, store)
            warn_meaningless(preset)
            provider = ModelProvider(settings, preset)
            indexer = Indexer(store, provider, settings)
            library = LibraryService(store)

            def index_run(roots: Sequence[Path]) -> tuple[int, int, int]:
                report = library.index(indexer, provider, settings, roots).report
                return report.indexed, report.pruned, len(report.errors)

            watcher = FolderWatcher(paths, index_run, debounce=debounce)
            err.print(f"watching {', '.join(map(str, watcher.roots))} (Ctrl-C stops)")
            try:
                watcher.run(threading.Event(), show, warm=indexer.warm)
            except KeyboardInterrupt:
                err.print("stopped; what was indexed is safe")
                raise typer.Exit(EXIT_INTERRUPTED) from None


COMMANDS = [watch]

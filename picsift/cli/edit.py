"""``picsift edit``: change pictures by an instruction, keeping their structure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from picsift.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PARTIAL,
    HomeOpt,
    JsonOpt,
    ModelsOpt,
    err,
    out,
    preset_for,
    settings_for,
    split_list,
    user_errors,
    warn_meaningless,
)
from picsift.edit.service import SeriesItem


def edit(
    args: Annotated[
        list[str],
        typer.Argument(
            help='IMAGE... INSTRUCTION: files or catalog ids, then what to change ("at night"). '
            "With --category or --search, only the INSTRUCTION.",
            show_default=False,
        ),
    ],
    method: Annotated[
        str | None, typer.Option(help="Edit method (structure, instruct, fast; see README).")
    ] = None,
    keep: Annotated[
        str | None, typer.Option(help="Structure maps to hold, e.g. depth,edges.")
    ] = None,
    strength: Annotated[
        float | None, typer.Option(help="How far from the original (0..1]; method default.")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Random seed (candidates count up).")] = 0,
    candidates: Annotated[int, typer.Option(min=1, help="Tries; the best one is kept.")] = 1,
    force: Annotated[
        bool, typer.Option(help="Keep a variant even below the structure threshold.")
    ] = False,
    category: Annotated[
        int | None, typer.Option(help="A series: every picture of this category.")
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="A series: the pictures this search finds (--limit).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Pictures a --search series takes.")] = 20,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a variant of each picture by an instruction ("at night"), keeping its layout; the
    variant joins the library, linked to its original and marked as made with AI."""
    from picsift.edit.request import EditOptions

    if not args:
        err.print("[red]error:[/] give IMAGE... INSTRUCTION")
        raise typer.Exit(EXIT_ERROR)
    *targets, instruction = args
    series = category is not None or search is not None
    if series == bool(targets) or (category is not None and search is not None):
        err.print(
            "[red]error:[/] give either IMAGE... INSTRUCTION, or --category/--search (one of "
            "them) with only the INSTRUCTION"
        )
        raise typer.Exit(EXIT_ERROR)
    keep_list = split_list(keep)
    options = EditOptions(
        method=method,
        keep=None if keep_list is None else tuple(keep_list),
        strength=strength,
        seed=seed,
        candidates=candidates,
        force=force,
    )
    with user_errors():
        items = _run(home, models, targets, instruction, options, category, search, limit)
    _print(items, as_json)
    kept_all = all(i.result is not None and i.result.variant_id is not None for i in items)
    raise typer.Exit(EXIT_OK if kept_all else EXIT_PARTIAL)


def _run(
    home: Path | None,
    models: str | None,
    targets: list[str],
    instruction: str,
    options: Any,
    category: int | None,
    search: str | None,
    limit: int,
) -> list[SeriesItem]:
    from picsift.edit.service import EditService
    from picsift.imaging.sandbox import DecodeSandbox
    from picsift.models.provider import ModelProvider
    from picsift.store import Store

    settings = settings_for(home)
    with Store.open(settings) as store, DecodeSandbox(settings) as decoder:
        preset = preset_for(settings, models, store)
        warn_meaningless(preset)
        provider = ModelProvider(settings, preset)
        service = EditService(store, provider, settings, decoder)
        service.check(instruction, options)
        service.recover()
        if category is not None:
            ids = service.category_members(category)
        elif search is not None:
            from picsift.search import SearchOptions, SearchService

            found = SearchService(store, provider, settings).search(
                search, SearchOptions(limit=limit)
            )
            ids = [hit.id for hit in found.hits]
        else:
            ids = [_image_id(service, target) for target in targets]
        with _bar() as progress:
            task = progress.add_task(f"editing {len(ids)}", total=1000)

            def step(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            if len(ids) == 1 and not (category is not None or search is not None):
                return [SeriesItem(ids[0], service.edit(ids[0], instruction, options, step))]
            return service.series(ids, instruction, options, step)


def _bar() -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )


def _image_id(service: Any, target: str) -> int:
    if target.isdigit() and not Path(target).exists():
        return int(target)
    image_id, added = service.image_for(Path(target))
    if added:
        err.print(f"indexed {target} first (id {image_id})", highlight=False)
    return int(image_id)


def _print(items: list[SeriesItem], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps([i.as_dict() for i in items]))
        return
    for item in items:
        if item.result is None:
            err.print(f"[red]image {item.image_id}:[/] {item.error}", highlight=False)
            continue
        r = item.result
        for c in r.candidates:
            s = c.scores
            depth = "not measured" if s.depth is None else f"{s.depth:.2f}"
            mark = "*" if c.chosen else " "
            out.print(
                f" {mark} seed {c.seed}: structure {s.structure:.2f} (edges {s.edges:.2f}, "
                f"depth {depth})  effect {s.effect:+.2f}",
                highlight=False,
            )
        for note in r.notes:
            err.print(f"[yellow]note:[/] {note}", highlight=False)
        if r.variant_id is None:
            err.print(f"[yellow]image {r.original_id}: not kept:[/] {r.reason}", highlight=False)
        else:
            out.print(
                f"variant {r.variant_id} of image {r.original_id} ({r.method}): {r.variant_path}",
                highlight=False,
                soft_wrap=True,
            )


COMMANDS = [edit]

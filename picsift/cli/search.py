"""Search commands: search, similar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from picsift.cli.common import (
    EXIT_ERROR,
    HomeOpt,
    JsonOpt,
    ModelsOpt,
    err,
    open_search,
    out,
    split_list,
    user_errors,
)
from picsift.errors import PicsiftError
from picsift.search.service import SearchPage


def parse_weights(weights: str | None, channels: str | None) -> dict[str, float] | None:
    if channels:
        return dict.fromkeys(split_list(channels) or [], 1.0)
    if not weights:
        return None
    out: dict[str, float] = {}
    for part in weights.split(","):
        name, _, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise PicsiftError(f"--weights: '{part}' is not NAME=NUMBER") from None
    return out


def reading_line(reading: dict[str, Any]) -> str:
    """'read as plain text: "a sign that says OPEN"; exact phrase "OPEN"'."""
    terms: list[str] = []
    for term in reading.get("terms", []):
        sign = "-" if term["weight"] < 0 else "+" if terms else ""
        weight = abs(term["weight"])
        scale = f"{weight:g}x " if weight != 1 else ""
        terms.append(f'{sign}{scale}{term["kind"]} "{term["value"]}"')
    line = f"read as {reading.get('read_as')}: {' '.join(terms)}"
    phrases = reading.get("phrases") or []
    if phrases:
        line += "; exact " + ("phrases " if len(phrases) > 1 else "phrase ")
        line += ", ".join(f'"{p}"' for p in phrases)
    for note in reading.get("notes") or []:
        line += f"\n{note}"
    return line


def _print_page(page: SearchPage, as_json: bool, explain: bool) -> None:
    if as_json:
        out.print_json(json.dumps(page.to_dict()))
        return
    if explain and page.query:
        out.print(f"[dim]{reading_line(page.query)}[/]", highlight=False)
    if not page.hits:
        out.print("no matching images (is the library indexed? try `picsift status`)")
    for rank, h in enumerate(page.hits, page.offset + 1):
        dup = f"  [dim](near-duplicate of #{h.duplicate_of})[/]" if h.duplicate_of else ""
        out.print(f"{rank:>3}. #{h.id} {h.score:.4f}  {h.path}{dup}", highlight=False)
        out.print(f"     {h.user_caption or h.caption}", highlight=False, soft_wrap=True)
        if explain:
            why = ", ".join(
                f"{n} rank {int(c['rank'])} score {c['score']:.3f}" for n, c in h.channels.items()
            )
            out.print(f"     [dim]why: {why}[/]", highlight=False)


SearchLimit = Annotated[int, typer.Option(min=1, max=1000, help="Hits per page.")]
SearchOffset = Annotated[int, typer.Option(min=0, help="Hits to skip (pagination).")]
WeightsOpt = Annotated[
    str | None, typer.Option(help="Channel weights, e.g. clip=1,caption=1,words=0.5.")
]
ChannelsOpt = Annotated[
    str | None, typer.Option(help="Only these channels, equally weighted: clip,caption,words.")
]
CutoffOpt = Annotated[
    float | None, typer.Option(min=0.0, max=0.99, help="Relative cutoff (0 keeps everything).")
]


def search(
    query: Annotated[
        str | None, typer.Argument(help='Words, or arithmetic: \'"2:dog" + ./a.jpg - "cat"\'.')
    ] = None,
    image: Annotated[Path | None, typer.Option("--image", help="Search by example.")] = None,
    limit: SearchLimit = 10,
    offset: SearchOffset = 0,
    folder: Annotated[list[str] | None, typer.Option(help="Only under this folder.")] = None,
    file_format: Annotated[list[str] | None, typer.Option(help="jpeg, png, webp...")] = None,
    after: Annotated[str | None, typer.Option(help="Taken (else modified) on/after.")] = None,
    before: Annotated[str | None, typer.Option(help="Taken (else modified) before.")] = None,
    min_width: Annotated[int | None, typer.Option(min=0)] = None,
    min_height: Annotated[int | None, typer.Option(min=0)] = None,
    category: Annotated[
        list[int] | None, typer.Option(help="Only in this category id (0 = Unsorted).")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Only images with this tag.")] = None,
    people: Annotated[
        str | None, typer.Option(help="How many people (people facet): 0, 2, 2-4 or 3+.")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option(help="Only images showing this region, e.g. sea.")
    ] = None,
    shot: Annotated[
        list[str] | None, typer.Option(help="Shot scale (depth facet): close-up, medium, wide.")
    ] = None,
    variants: Annotated[
        str | None,
        typer.Option(help="Edited pictures: hide (default), include or only."),
    ] = None,
    generated: Annotated[
        bool | None,
        typer.Option(
            "--generated/--not-generated", help="Only pictures made with AI, or only the others."
        ),
    ] = None,
    generator: Annotated[
        list[str] | None, typer.Option(help="Made by this generator (part of its name).")
    ] = None,
    weights: WeightsOpt = None,
    channels: ChannelsOpt = None,
    cutoff: CutoffOpt = None,
    explain: Annotated[bool, typer.Option(help="Show each channel's rank and score.")] = False,
    mismatch: Annotated[
        bool,
        typer.Option(help="List generated pictures whose prompt they agree with least (no QUERY)."),
    ] = False,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Find images by words (CLIP + caption meaning + caption words, fused) or by example."""
    from picsift.search import Filters, SearchOptions

    if mismatch and (query is not None or image is not None):
        err.print("[red]error:[/] --mismatch lists pictures by agreement: give no QUERY or --image")
        raise typer.Exit(EXIT_ERROR)
    if query is None and image is None and not mismatch:
        err.print("[red]error:[/] give a QUERY, --image PATH, or both")
        raise typer.Exit(EXIT_ERROR)
    with user_errors():
        filters = Filters(
            folders=tuple(folder or ()),
            formats=tuple(file_format or ()),
            after=after,
            before=before,
            min_width=min_width,
            min_height=min_height,
            categories=tuple(category or ()),
            tags=tuple(tag or ()),
            people=people,
            regions=tuple(region or ()),
            shots=tuple(shot or ()),
            variants=variants,
            generated=generated,
            generators=tuple(generator or ()),
        )
        filters.check()
    if mismatch:
        from picsift.cli.generated import print_mismatches

        print_mismatches(filters, limit, offset, home, as_json)
        return
    with user_errors():
        options = SearchOptions(
            limit=limit,
            offset=offset,
            filters=filters,
            weights=parse_weights(weights, channels),
            cutoff=cutoff,
        )
        with open_search(home, models) as (_, service):
            examples = [service.load_example(image)] if image is not None else []
            page = service.search(query, options, examples)
    _print_page(page, as_json, explain)


def similar(
    image_id: Annotated[int, typer.Argument(help="Catalog id of an indexed image.")],
    limit: SearchLimit = 10,
    offset: SearchOffset = 0,
    explain: Annotated[bool, typer.Option(help="Show each channel's rank and score.")] = False,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Images like an indexed one ("more like this")."""
    from picsift.search import SearchOptions

    with user_errors(), open_search(home, models) as (_, service):
        page = service.similar(image_id, SearchOptions(limit=limit, offset=offset))
    _print_page(page, as_json, explain)


COMMANDS = [search, similar]

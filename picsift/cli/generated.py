"""Generated images on the command line: ``search --mismatch`` (the pictures that agree least
with their prompt) and ``show-prompt`` (what one picture's metadata says made it)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from picsift.cli.common import HomeOpt, JsonOpt, out, settings_for, user_errors
from picsift.prompts.service import Generated, MismatchPage
from picsift.store.filters import Filters


def print_mismatches(
    filters: Filters, limit: int, offset: int, home: HomeOpt, as_json: bool
) -> None:
    from picsift.prompts.service import PromptService
    from picsift.store import Store

    with user_errors(), Store.open(settings_for(home)) as store:
        page = PromptService(store).mismatches(filters, limit, offset)
    _print_page(page, as_json)


def _print_page(page: MismatchPage, as_json: bool) -> None:
    if as_json:
        data = {"total": page.total, "offset": page.offset}
        out.print_json(json.dumps({**data, "items": [g.as_dict() for g in page.items]}))
        return
    if not page.items:
        out.print("no generated pictures with a checked prompt (index some with prompts)")
        return
    for rank, item in enumerate(page.items, page.offset + 1):
        _print_one(item, rank)
    out.print(f"({page.total} pictures with a checked prompt)", highlight=False)


def _print_one(item: Generated, rank: int | None = None) -> None:
    a = item.agreement
    score = "unchecked" if a is None else _score(a.percentile, a.clip)
    lead = f"{rank:>3}. " if rank is not None else ""
    maker = f" ({item.image.generator})" if item.image.generator else ""
    out.print(f"{lead}[{item.image.id}] {score}  {item.image.path}{maker}", highlight=False)
    out.print(f"     prompt: {item.image.prompt or '-'}", highlight=False, soft_wrap=True)
    for note in a.notes() if a is not None else []:
        out.print(f"     {note}", highlight=False)


def _score(percentile: float | None, clip: float) -> str:
    if percentile is None:
        return f"clip {clip:.3f}"
    return f"agreement {percentile:.0%}"


def show_prompt(
    image_id: Annotated[int, typer.Argument(help="Catalog id of an indexed image.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What a picture's metadata says made it, and how well it agrees with its prompt."""
    from picsift.prompts.service import PromptService
    from picsift.store import Store

    with user_errors(), Store.open(settings_for(home)) as store:
        item = PromptService(store).generated(image_id)
    if as_json:
        out.print_json(json.dumps(item.as_dict()))
        return
    _print_one(item)
    if item.negative:
        out.print(f"     negative: {item.negative}", highlight=False, soft_wrap=True)
    if item.parameters:
        settings = ", ".join(f"{k}: {v}" for k, v in item.parameters.items())
        out.print(f"     settings: {settings}", highlight=False, soft_wrap=True)
    for problem in item.problems:
        out.print(f"     metadata: {problem}", highlight=False)
    a = item.agreement
    for p in a.phrases if a is not None else ():
        where = ", ".join(p.found_in) or "-"
        share = "" if p.percentile is None else f", beats {p.percentile:.0%} of the library"
        mark = "yes" if p.supported else "NO "
        out.print(
            f"     {mark} {p.phrase!r}: named in {where}; clip {p.clip:.3f}{share}",
            highlight=False,
        )


COMMANDS = [show_prompt]

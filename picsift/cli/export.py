"""``picsift export xmp|csv|jsonl``: what picsift knows, written where other tools read it."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from picsift.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PARTIAL,
    HomeOpt,
    JsonOpt,
    err,
    out,
    preset_for,
    settings_for,
    user_errors,
)

if TYPE_CHECKING:
    from picsift.metadata.export import ExportResult, Row

KINDS = ("xmp", "csv", "jsonl")
CSV_FIELDS = ("path", "description", "alt", "tags", "category", "prompt", "generator", "agreement")


def export(
    kind: Annotated[str, typer.Argument(help="xmp (into files or sidecars), csv or jsonl.")],
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Indexed files or folders (default: all).")
    ] = None,
    embed: Annotated[
        bool,
        typer.Option(
            "--embed/--sidecar",
            help="xmp: write into the file (JPEG, PNG, WebP, TIFF) or into a sidecar "
            "(default; the picture is only read).",
        ),
    ] = False,
    style: Annotated[
        str,
        typer.Option(
            help="Sidecar names: darktable (photo.jpg.xmp, read by darktable and digiKam) "
            "or lightroom (photo.xmp)."
        ),
    ] = "darktable",
    template: Annotated[str, typer.Option(help="Template of the description.")] = "paragraph",
    alt_template: Annotated[str, typer.Option(help="Template of the alt text.")] = "alt",
    keywords_template: Annotated[
        str, typer.Option(help="Template of the keywords (a comma-separated list).")
    ] = "tags",
    dry_run: Annotated[bool, typer.Option(help="Print what would change; write nothing.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="csv/jsonl: write here, not stdout.")
    ] = None,
    folder: Annotated[list[str] | None, typer.Option(help="Only under this folder.")] = None,
    category: Annotated[list[int] | None, typer.Option(help="Only in this category id.")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="Only pictures with this tag.")] = None,
    generated: Annotated[
        bool | None, typer.Option("--generated/--not-generated", help="Made with AI or not.")
    ] = None,
    generator: Annotated[list[str] | None, typer.Option(help="Made by this generator.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write descriptions, alt text and keywords into XMP (sidecars or the files), or as
    CSV / JSON lines for a content system. Pixels are never touched."""
    from picsift.describe import DescribeService
    from picsift.metadata.export import Exporter, ExportOptions, exiftool_for_xmp
    from picsift.models.provider import ModelProvider
    from picsift.store import Store
    from picsift.store.filters import Filters

    if kind not in KINDS:
        err.print(f"[red]error:[/] export what? '{kind}': use {', '.join(KINDS)}")
        raise typer.Exit(EXIT_ERROR)
    failed = 0
    with user_errors(), ExitStack() as stack:
        settings = settings_for(home)
        store = stack.enter_context(Store.open(settings))
        preset = preset_for(settings, None, store)
        describer = DescribeService(ModelProvider(settings, preset), settings)
        exporter = Exporter(store, describer, exiftool_for_xmp())
        filters = Filters(
            folders=tuple(folder or ()),
            categories=tuple(category or ()),
            tags=tuple(tag or ()),
            generated=generated,
            generators=tuple(generator or ()),
        )
        ids = exporter.select(paths or [], filters)
        options = ExportOptions(
            mode="embed" if embed else "sidecar",
            style=style,
            template=template,
            alt_template=alt_template,
            keywords_template=keywords_template,
            dry_run=dry_run,
        )
        if kind == "xmp":
            failed = _xmp(exporter.xmp(ids, options), as_json)
        else:
            stream: TextIO = sys.stdout
            if output is not None:
                stream = stack.enter_context(open(output, "w", newline="", encoding="utf-8"))
            _table(kind, exporter.rows(ids, options), stream)
    raise typer.Exit(EXIT_PARTIAL if failed else EXIT_OK)


def _xmp(results: Iterable[ExportResult], as_json: bool) -> int:
    failed = 0
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
        failed += r.status in ("refused", "failed")
        if as_json:
            item = {**r.__dict__, "changes": {k: list(v) for k, v in r.changes.items()}}
            sys.stdout.write(json.dumps(item, ensure_ascii=False, default=str) + "\n")
            continue
        line = f"{r.status:>12}  {r.target or r.image_id}"
        out.print(line + (f": {r.reason}" if r.reason else ""), highlight=False, soft_wrap=True)
        if r.status == "would change":
            for name, (now, after) in r.changes.items():
                out.print(f"{'':14}{name}: {_short(now)} -> {_short(after)}", highlight=False)
    if not as_json:
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to export"
        err.print(summary, highlight=False)
    return failed


def _short(value: object, limit: int = 70) -> str:
    text = "-" if value in (None, "", []) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(kind: str, rows: Iterable[Row], stream: TextIO) -> None:
    if kind == "jsonl":
        for row in rows:
            stream.write(json.dumps(row.as_dict(), ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(stream, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for row in rows:
        data = row.as_dict()
        data["tags"] = "; ".join(data["tags"])
        writer.writerow(data)


COMMANDS = [export]

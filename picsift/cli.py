"""The ``picsift`` command: parse arguments, call a service, format the result.

Exit codes: 0 done; 1 done, but some files could not be indexed or described (listed);
2 could not run (bad arguments, missing weights, store problems); 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
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
from rich.table import Table
from rich.text import Text

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.models.presets import Preset, PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.search.service import SearchPage

EXIT_OK, EXIT_PARTIAL, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130

app = typer.Typer(
    name="picsift",
    help="Self-hosted image search and categorization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="List, fetch and build model weights.", no_args_is_help=True)
app.add_typer(models_app, name="models")

out = Console()
err = Console(stderr=True)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Store directory (default: PICSIFT_HOME or the user data dir)."),
]
ModelsOpt = Annotated[
    str | None, typer.Option("--models", "-m", help="Model preset (see `picsift models list`).")
]


def _settings(home: Path | None) -> Settings:
    return Settings(home=home) if home is not None else Settings()


def _preset(settings: Settings, name: str | None) -> Preset:
    return PresetCatalog(settings.home / "presets.toml").preset(name or settings.preset)


def _warn_meaningless(preset: Preset) -> None:
    if preset.meaningless:
        err.print(
            f"[yellow]note:[/] preset '{preset.name}' has random weights: captions and rankings "
            "below are meaningless (they only show the mechanics)."
        )


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn the errors picsift raises on purpose into one line and exit code 2."""
    try:
        yield
    except PicsiftError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_ERROR) from None


class _Bar:
    """Adapts the indexer's progress protocol to a rich progress bar with rate and ETA."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("indexing", total=None)

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:6.1f} img/s" if task.speed else "", style="cyan")


def _progress() -> Progress:
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


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(help="Folders or files to index.")],
    home: HomeOpt = None,
    models: ModelsOpt = None,
    batch_size: Annotated[int | None, typer.Option(help="Images per model batch.")] = None,
    captions: Annotated[
        Path | None,
        typer.Option(
            help='People\'s captions, JSONL lines {"file": relative path, "caption": text}.'
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Index images: caption and embed new or changed files, skip unchanged ones, prune deleted."""
    from picsift.indexer import Indexer
    from picsift.store import Store

    with _user_errors():
        settings = _settings(home)
        if batch_size:
            settings = settings.model_copy(update={"batch_size": batch_size})
        preset = _preset(settings, models)
        _warn_meaningless(preset)
        with Store(settings.home) as store:
            indexer = Indexer(store, ModelProvider(settings, preset), settings)
            try:
                with _progress() as progress:
                    report = indexer.run(paths, _Bar(progress), captions_file=captions)
            except KeyboardInterrupt:
                counts = store.catalog.counts()
                err.print(
                    f"interrupted: {counts['ok']} images are safely indexed; run the same "
                    "command again to continue."
                )
                raise typer.Exit(EXIT_INTERRUPTED) from None
    summary = {
        "indexed": report.indexed,
        "unchanged": report.unchanged,
        "refreshed": report.refreshed,
        "moved": report.moved,
        "copied": report.copied,
        "pruned": report.pruned,
        "user_captions": report.user_captions,
        "text_vectors": report.text_vectors,
        "errors": [{"path": p, "reason": r} for p, r in report.errors],
        "seconds": round(report.seconds, 2),
        "model_seconds": round(report.model_seconds, 2),
        "complete": report.complete,
        "meaningless": preset.meaningless,
    }
    if as_json:
        out.print_json(json.dumps(summary))
    else:
        rate = report.indexed / report.seconds if report.seconds else 0.0
        out.print(
            f"indexed {report.indexed}, unchanged {report.unchanged}, refreshed "
            f"{report.refreshed}, moved {report.moved}, copied {report.copied}, pruned "
            f"{report.pruned}, errors {len(report.errors)} in {report.seconds:.1f}s "
            f"({rate:.1f} img/s)",
            highlight=False,
        )
        for path, reason in report.errors:
            out.print(f"  [red]error[/] {path}: {reason}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK if report.complete else EXIT_PARTIAL)


@app.command()
def status(
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Counts, models, store size, and whether the vector index matches the catalog."""
    from picsift.store import IMAGE_SPACE, SPACES, Store

    with _user_errors():
        settings = _settings(home)
        with Store(settings.home) as store:
            counts = store.catalog.counts()
            info: dict[str, object] = {
                "home": str(settings.home),
                "indexed": counts["ok"],
                "errors": counts["error"],
                "pending": counts["pending"],
                "embedder": store.catalog.space_model(IMAGE_SPACE),
                "store_bytes": store.size_bytes(),
            }
            for space in SPACES:
                in_sync = store.index_in_sync(space)
                # The catalog is the truth: a stale derived index is rebuilt here and now.
                index = store.vector_index(space, save=True)
                info[f"{space}_vectors"] = store.catalog.embedding_count(space)
                info[f"{space}_index_vectors"] = index.count
                info[f"{space}_index_was_in_sync"] = in_sync
            info["vectors"] = info[f"{IMAGE_SPACE}_vectors"]
            info["index_vectors"] = info[f"{IMAGE_SPACE}_index_vectors"]
            info["index_in_sync"] = all(
                info[f"{s}_vectors"] == info[f"{s}_index_vectors"] for s in SPACES
            )
    if as_json:
        out.print_json(json.dumps(info))
        return
    table = Table(show_header=False, box=None)
    for key, value in info.items():
        table.add_row(key.replace("_", " "), str(value))
    out.print(table)


@app.command()
def describe(
    images: Annotated[list[Path], typer.Argument(help="Image files to describe.")],
    home: HomeOpt = None,
    models: ModelsOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Describe images in one paragraph each, without touching the store."""
    from picsift.describe import DescribeService

    if fmt not in ("text", "json"):
        err.print(f"[red]error:[/] --format must be 'text' or 'json', not '{fmt}'")
        raise typer.Exit(EXIT_ERROR)
    failed = 0
    with _user_errors():
        settings = _settings(home)
        preset = _preset(settings, models)
        _warn_meaningless(preset)
        service = DescribeService(ModelProvider(settings, preset), settings)
        for d in service.describe_files(images):
            failed += d.error is not None
            if fmt == "json":
                sys.stdout.write(json.dumps(d.to_dict()) + "\n")
            elif d.error:
                err.print(f"[red]error[/] {d.source}: {d.error}", highlight=False)
            else:
                out.print(f"[bold]{d.source}[/]\n{d.caption}\n", highlight=False)
    raise typer.Exit(EXIT_PARTIAL if failed else EXIT_OK)


def _parse_weights(weights: str | None, channels: str | None) -> dict[str, float] | None:
    if channels:
        return {c.strip(): 1.0 for c in channels.split(",") if c.strip()}
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


def _print_page(page: SearchPage, as_json: bool, explain: bool) -> None:
    if as_json:
        out.print_json(json.dumps(page.to_dict()))
        return
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


@app.command()
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
    weights: WeightsOpt = None,
    channels: ChannelsOpt = None,
    cutoff: CutoffOpt = None,
    explain: Annotated[bool, typer.Option(help="Show each channel's rank and score.")] = False,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Find images by words (CLIP + caption meaning + caption words, fused) or by example."""
    from picsift.search import Filters, SearchOptions, SearchService
    from picsift.store import Store

    if query is None and image is None:
        err.print("[red]error:[/] give a QUERY, --image PATH, or both")
        raise typer.Exit(EXIT_ERROR)
    with _user_errors():
        settings = _settings(home)
        preset = _preset(settings, models)
        _warn_meaningless(preset)
        filters = Filters(
            folders=tuple(folder or ()),
            formats=tuple(file_format or ()),
            after=after,
            before=before,
            min_width=min_width,
            min_height=min_height,
        )
        options = SearchOptions(
            limit=limit,
            offset=offset,
            filters=filters,
            weights=_parse_weights(weights, channels),
            cutoff=cutoff,
        )
        with Store(settings.home) as store:
            service = SearchService(store, ModelProvider(settings, preset), settings)
            examples = [service.load_example(image)] if image is not None else []
            page = service.search(query, options, examples)
    _print_page(page, as_json, explain)


@app.command()
def similar(
    image_id: Annotated[int, typer.Argument(help="Catalog id of an indexed image.")],
    limit: SearchLimit = 10,
    offset: SearchOffset = 0,
    explain: Annotated[bool, typer.Option(help="Show each channel's rank and score.")] = False,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Images like an indexed one ("more like this")."""
    from picsift.search import SearchOptions, SearchService
    from picsift.store import Store

    with _user_errors():
        settings = _settings(home)
        preset = _preset(settings, models)
        with Store(settings.home) as store:
            service = SearchService(store, ModelProvider(settings, preset), settings)
            page = service.similar(image_id, SearchOptions(limit=limit, offset=offset))
    _print_page(page, as_json, explain)


@models_app.command("list")
def models_list(home: HomeOpt = None) -> None:
    """Presets, their models, licences, and whether the weights are on this machine."""
    from picsift.models import locate

    settings = _settings(home)
    catalog = PresetCatalog(settings.home / "presets.toml")
    table = Table("preset", "embedder", "captioner", "weights here", "description")
    for name in catalog.names():
        p = catalog.preset(name)
        here = all(
            locate.is_complete(settings.resolved_models_dir / s.folder_name, s)
            for s in (p.embedder, p.captioner)
        )
        table.add_row(
            name, p.embedder.repo, p.captioner.repo, "yes" if here else "no", p.description
        )
    out.print(table)


@models_app.command("pull")
def models_pull(
    name: Annotated[str, typer.Argument(help="Preset to fetch (or build, for tiny presets).")],
    home: HomeOpt = None,
) -> None:
    """Fetch a preset's weights into the models directory (copy it to air-gapped machines)."""
    with _user_errors():
        settings = _settings(home)
        preset = _preset(settings, name)
        provider = ModelProvider(settings, preset)
        for spec in (preset.embedder, preset.captioner):
            out.print(f"{spec.name}: {provider.folder(spec)}", highlight=False)


@app.command()
def demo(
    home: HomeOpt = None,
    query: Annotated[list[str] | None, typer.Option(help="Queries to try.")] = None,
) -> None:
    """Index the bundled sample photos into a demo store and search them (works offline)."""
    from picsift.demo import run_demo

    with _user_errors():
        settings = _settings(home)
        result = run_demo(settings, query or ["a pair of shoes", "a red dress", "a hat"])
    if result.fallback_note:
        err.print(f"[yellow]note:[/] {result.fallback_note}", highlight=False)
    r = result.report
    out.print(
        f"demo store: {result.home}\nindexed {r.indexed} sample photos "
        f"({r.unchanged} already there) with preset '{result.preset.name}'",
        highlight=False,
    )
    tag = " [yellow](meaningless: random weights)[/]" if result.preset.meaningless else ""
    for q, hits in result.searches.items():
        out.print(f"\n[bold]search:[/] {q}{tag}")
        for rank, h in enumerate(hits, 1):
            out.print(
                f"{rank:>3}. {h.score:.3f}  {Path(h.path).name}  {h.caption[:80]}", highlight=False
            )
    out.print(
        f'\nnext: picsift search "your words" --home {result.home} --models {result.preset.name}',
        highlight=False,
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()

"""Library commands: index, status, describe, demo."""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack, redirect_stdout
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from picsift.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
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
from picsift.cli.progress import Bar, progress_bar
from picsift.models.provider import ModelProvider
from picsift.store import Store


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
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run the model work on a Ray cluster: 'auto' (the running cluster), "
            "HOST:PORT, ray://HOST:PORT, or 'local' (a private one on this machine). "
            "Needs picsift[ray] on every node and the files at the same path everywhere.",
        ),
    ] = None,
    ray_workers: Annotated[
        int | None, typer.Option(help="Ray actors at most (default: as the CPUs allow).")
    ] = None,
    ray_cpus: Annotated[float, typer.Option(help="CPUs each Ray actor reserves.")] = 1.0,
) -> None:
    """Index images: caption and embed new or changed files, skip unchanged ones, prune deleted."""
    from picsift.indexer import Indexer
    from picsift.indexer.service import Executor
    from picsift.library.service import LibraryService

    with user_errors():
        settings = settings_for(home)
        if batch_size:
            settings = settings.model_copy(update={"batch_size": batch_size})
        with Store.open(settings) as store:
            preset = preset_for(settings, models, store)
            warn_meaningless(preset)
            provider = ModelProvider(settings, preset)
            executor: Executor | None = None
            if ray is not None:
                from picsift.indexer.ray_executor import RayExecutor, RayOptions

                options = RayOptions(ray, ray_workers, ray_cpus)
                executor = RayExecutor(options, settings, preset)
                for spec in (preset.embedder, preset.captioner):
                    provider.folder(spec)  # fetch or build once here, not once per worker
            indexer = Indexer(store, provider, settings, executor)
            try:
                # Ray prints its workers' errors on stdout; keep stdout for our own output
                with progress_bar() as progress, redirect_stdout(sys.stderr):
                    outcome = LibraryService(store).index(
                        indexer, provider, settings, paths, Bar(progress), captions
                    )
                report, categorised = outcome.report, outcome.categorised
            except KeyboardInterrupt:
                counts = store.images.counts()
                err.print(
                    f"interrupted: {counts['ok']} images are safely indexed; run the same "
                    "command again to continue."
                )
                raise typer.Exit(EXIT_INTERRUPTED) from None
    summary = {
        "indexed": report.indexed,
        "categorised": categorised,
        "unchanged": report.unchanged,
        "refreshed": report.refreshed,
        "moved": report.moved,
        "copied": report.copied,
        "pruned": report.pruned,
        "user_captions": report.user_captions,
        "text_vectors": report.text_vectors,
        "prompts_checked": report.prompts_checked,
        "errors": [{"path": p, "reason": r} for p, r in report.errors],
        "seconds": round(report.seconds, 2),
        "model_seconds": round(report.model_seconds, 2),
        # where the time went; "seconds" above is the indexing run, before "categories"
        "stage_seconds": {k: round(v, 2) for k, v in report.stages.seconds.items()},
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
        if report.prompts_checked:
            out.print(
                f"prompts: {report.prompts_checked} checked against their pictures "
                "(picsift search --mismatch lists the least agreeing)",
                highlight=False,
            )
        shares = report.stages.shares(report.seconds + report.stages.seconds.get("categories", 0))
        top = sorted(shares.items(), key=lambda kv: -kv[1])[:4]
        if report.indexed and top:
            out.print("time: " + ", ".join(f"{k} {v:.0%}" for k, v in top), highlight=False)
        for path, reason in report.errors:
            out.print(f"  [red]error[/] {path}: {reason}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK if report.complete else EXIT_PARTIAL)


def status(
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Counts, models, store size, and whether the vector index matches the catalog."""
    from picsift.store import IMAGE_SPACE, SPACES, Store

    with user_errors():
        settings = settings_for(home)
        with Store.open(settings) as store:
            counts = store.images.counts()
            info: dict[str, object] = {
                "home": str(settings.home),
                "indexed": counts["ok"],
                "errors": counts["error"],
                "pending": counts["pending"],
                "embedder": store.images.space_model(IMAGE_SPACE),
                # runtimes of one model share its index; this says which made the vectors
                "embedder_runtimes": store.images.runtime_counts(IMAGE_SPACE),
                "store_bytes": store.size_bytes(),
            }
            for space in SPACES:
                in_sync = store.index_in_sync(space)
                # The catalog is the truth: a stale derived index is rebuilt here and now.
                index = store.vector_index(space, save=True)
                info[f"{space}_vectors"] = store.images.embedding_count(space)
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


def describe(
    images: Annotated[list[Path], typer.Argument(help="Image files to describe.")],
    home: HomeOpt = None,
    models: ModelsOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    template: Annotated[
        str | None,
        typer.Option(help="paragraph, alt, alt-ru, alt-de, tags, seo, markdown, json, or yours."),
    ] = None,
    facets: Annotated[
        str | None,
        typer.Option(help="What to compute: caption,colours,composition,tags,text,objects."),
    ] = None,
    stored: Annotated[
        bool,
        typer.Option(
            "--stored",
            help="Render indexed images from what the store holds (no model runs; --facets "
            "does not apply).",
        ),
    ] = False,
) -> None:
    """Describe images (one paragraph each by default), without changing the store."""
    from picsift.describe import DescribeService
    from picsift.imaging.sandbox import DecodeSandbox

    if fmt not in ("text", "json"):
        err.print(f"[red]error:[/] --format must be 'text' or 'json', not '{fmt}'")
        raise typer.Exit(EXIT_ERROR)
    failed = 0
    with user_errors(), ExitStack() as stack:
        settings = settings_for(home)
        preset = preset_for(settings, models)
        decoder = stack.enter_context(DecodeSandbox(settings))
        service = DescribeService(ModelProvider(settings, preset), settings, decoder=decoder)
        if stored:
            store = stack.enter_context(Store.open(settings))
            described = service.describe_paths_stored(store, images, template)
        else:
            warn_meaningless(preset)
            described = service.describe_files(images, split_list(facets), template)
        for d in described:
            failed += d.error is not None
            if fmt == "json":
                sys.stdout.write(json.dumps(d.to_dict()) + "\n")
            elif d.error:
                err.print(f"[red]error[/] {d.source}: {d.error}", highlight=False)
            else:
                out.print(f"[bold]{d.source}[/]", highlight=False, soft_wrap=True)
                sys.stdout.write(f"{d.text}\n\n")
    raise typer.Exit(EXIT_PARTIAL if failed else EXIT_OK)


def demo(
    home: HomeOpt = None,
    query: Annotated[list[str] | None, typer.Option(help="Queries to try.")] = None,
    serve: Annotated[bool, typer.Option(help="Then serve the demo store over HTTP.")] = False,
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
) -> None:
    """Index the bundled sample photos into a demo store, search them, optionally serve them
    (works offline)."""
    from picsift.demo import run_demo

    with user_errors():
        settings = settings_for(home)
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
    if serve:
        from picsift.cli.serve import run_server

        demo_settings = settings.model_copy(
            update={
                "home": result.home,
                "preset": result.preset.name,
                "models_dir": settings.resolved_models_dir,
            }
        )
        run_server(demo_settings, "127.0.0.1", port)
        return
    out.print(
        f'\nnext: picsift search "your words" --home {result.home} --models {result.preset.name}'
        f"\n      picsift demo --serve   (the REST API on http://127.0.0.1:{port})",
        highlight=False,
    )


def facets(
    names: Annotated[
        str | None,
        typer.Option(
            "--names",
            help="Facets to recompute, comma-separated (picsift describe --help lists them).",
        ),
    ] = None,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute stored facets (default: PICSIFT_INDEX_FACETS) and keep the others as stored.

    Facets of the image read the files; tags need CLIP's text tower and the stored vectors
    (run this after adding a vocabulary); objects need the detector.
    """
    from picsift.describe.facets import FACETS
    from picsift.indexer.facets import index_facet_names
    from picsift.indexer.refacet import recompute_facets

    with user_errors():
        settings = settings_for(home)
        chosen = split_list(names) or index_facet_names(settings)
        provider = None
        with Store.open(settings) as store:
            if FACETS.needing_models(chosen):
                preset = preset_for(settings, models, store)
                warn_meaningless(preset)
                provider = ModelProvider(settings, preset)
            done, failed = recompute_facets(store, settings, chosen, provider)
    if as_json:
        out.print_json(json.dumps({"updated": done, "facets": chosen, "errors": failed}))
    else:
        out.print(
            f"{', '.join(chosen)} recomputed for {done} images; {len(failed)} could not be read"
        )
        for line in failed:
            out.print(f"  [red]error[/] {line}", highlight=False)
    raise typer.Exit(EXIT_PARTIAL if failed else EXIT_OK)


COMMANDS = [index, status, describe, demo, facets]

"""Category commands: cluster, categories, rename."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import typer
from rich.tree import Tree

from picsift.cli.common import (
    HomeOpt,
    JsonOpt,
    ModelsOpt,
    out,
    preset_for,
    settings_for,
    user_errors,
    warn_meaningless,
)
from picsift.library.service import LibraryService
from picsift.models.provider import ModelProvider
from picsift.store.records import Category


def cluster(
    space: Annotated[
        str, typer.Option(help="images (CLIP image embeddings) or captions (caption meaning).")
    ] = "images",
    min_size: Annotated[int | None, typer.Option(min=2, help="Smallest category.")] = None,
    min_samples: Annotated[int | None, typer.Option(min=1, help="HDBSCAN min_samples.")] = None,
    method: Annotated[str | None, typer.Option(help="HDBSCAN selection: eom or leaf.")] = None,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Group the library into auto-named categories (ids and renames survive re-clustering)."""
    from picsift.cluster.service import CategoryService
    from picsift.errors import PicsiftError
    from picsift.store import Store

    overrides: dict[str, object] = {}
    if min_size is not None:
        overrides["min_cluster_size"] = min_size
    if min_samples is not None:
        overrides["min_samples"] = min_samples
    if method is not None:
        overrides["selection_method"] = method
    with user_errors():
        if space not in ("images", "captions"):
            raise PicsiftError(f"--space must be 'images' or 'captions', not '{space}'")
        chosen: Literal["images", "captions"] = "captions" if space == "captions" else "images"
        settings = settings_for(home)
        with Store.open(settings) as store:
            preset = preset_for(settings, models, store)
            warn_meaningless(preset)
            service = CategoryService(store, ModelProvider(settings, preset), settings)
            report = service.cluster(chosen, **overrides)
    if as_json:
        out.print_json(json.dumps(report.to_dict()))
        return
    out.print(
        f"{report.categories} categories ({report.parents} parents) over {report.images} images; "
        f"{report.unsorted} unsorted (coverage {report.coverage:.0%}); kept {report.kept}, "
        f"born {len(report.born)}, died {len(report.died)}, merged {len(report.merged)}, "
        f"split {len(report.split)} in {report.seconds:.1f}s",
        highlight=False,
    )


def categories(
    show_tree: Annotated[
        bool, typer.Option("--tree", help="Show parents and their children.")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the categories with names, keywords, sizes and confidence."""
    from dataclasses import asdict

    from picsift.store import Store

    with user_errors():
        settings = settings_for(home)
        with Store.open(settings) as store:
            library = LibraryService(store)
            items, tree = library.categories(), library.tree()
        unsorted = tree.unsorted
    if as_json:
        out.print_json(json.dumps({"categories": [asdict(c) for c in items], "unsorted": unsorted}))
        return
    if not items:
        out.print("no categories yet: run `picsift cluster`")
        return

    def line(c: Category) -> str:
        kw = ", ".join(c.keywords[:4])
        return f"#{c.id} [bold]{c.name}[/] ({c.size})  [dim]{kw}  conf {c.confidence:.2f}[/]"

    if show_tree:
        root = Tree("library")
        for node in tree.top:
            branch = root.add(line(node.category))
            for child in node.children:
                branch.add(line(child))
        root.add(f"[italic]Unsorted[/] ({unsorted})")
        out.print(root)
        return
    for c in items:
        if not c.is_parent:
            out.print(line(c))
    out.print(f"[italic]Unsorted[/] ({unsorted})")


def rename(
    category_id: Annotated[int, typer.Argument(help="Category id (see `picsift categories`).")],
    name: Annotated[str, typer.Argument(help='New name; "" restores the automatic one.')],
    home: HomeOpt = None,
) -> None:
    """Rename a category; the name survives re-clustering while the category persists."""
    from picsift.store import Store

    with user_errors():
        settings = settings_for(home)
        with Store.open(settings) as store:
            category = LibraryService(store).rename(category_id, name)
    out.print(
        f"#{category.id} is now '{category.name}' (automatic: '{category.auto_name}')",
        highlight=False,
    )


COMMANDS = [cluster, categories, rename]

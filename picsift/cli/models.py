"""Model commands: list presets, fetch or build weights."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from picsift.cli.common import HomeOpt, out, preset_for, settings_for, user_errors
from picsift.errors import PicsiftError
from picsift.models.presets import ModelSpec, Preset, PresetCatalog
from picsift.models.provider import ModelProvider

models_app = typer.Typer(help="List, fetch and build model weights.", no_args_is_help=True)


def _specs(preset: Preset, edit: bool = False) -> list[ModelSpec]:
    """Every model of a preset (the text and depth models too); with ``edit``, its edit
    methods' pipelines and ControlNets as well."""
    found = [preset.embedder, preset.captioner, preset.text_embedder, preset.depth]
    found += [preset.segmenter, preset.pose]
    if edit:
        found += [spec for method in preset.edits.values() for spec in method.specs]
    return list({s.name: s for s in found if s is not None}.values())


@models_app.command("list")
def models_list(home: HomeOpt = None) -> None:
    """Presets, their models, licences, and whether the weights are on this machine."""
    from picsift.models import locate

    settings = settings_for(home)
    catalog = PresetCatalog(settings.home / "presets.toml")
    table = Table("preset", "embedder", "captioner", "licences", "weights here", "description")
    for name in catalog.names():
        p = catalog.preset(name)
        licences = ", ".join(dict.fromkeys(s.license for s in _specs(p, edit=True)))
        here = all(
            locate.is_complete(settings.resolved_models_dir / s.folder_name, s)
            for s in (p.embedder, p.captioner)
        )
        built = all(s.build for s in (p.embedder, p.captioner))
        state = "yes" if here else ("built on first use" if built else "no")
        table.add_row(name, p.embedder.repo, p.captioner.repo, licences, state, p.description)
    out.print(table)


@models_app.command("pull")
def models_pull(
    name: Annotated[str, typer.Argument(help="Preset to fetch (or build, for tiny presets).")],
    edit: Annotated[
        bool,
        typer.Option(
            "--edit", help="Also the edit methods' models (picsift[edit]; ~4 GB per pipeline)."
        ),
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Fetch a preset's weights into the models directory (copy it to air-gapped machines)."""
    from picsift.models.provider import require_edit_extra

    with user_errors():
        settings = settings_for(home)
        preset = preset_for(settings, name)
        provider = ModelProvider(settings, preset)
        if edit:
            require_edit_extra()
        for spec in _specs(preset, edit=edit):
            out.print(f"{spec.name}: {provider.folder(spec)}", highlight=False)


@models_app.command("export")
def models_export(
    name: Annotated[str, typer.Argument(help="Preset whose CLIP model to export.")],
    int8: Annotated[
        bool, typer.Option("--int8", help="Also write dynamically quantised int8 copies.")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Export the preset's CLIP towers to ONNX beside its weights (once); then serve them with
    PICSIFT_EMBEDDER_RUNTIME=onnx or onnx-int8 (see README "Speed")."""
    from picsift.models.onnx_clip import export_clip

    with user_errors():
        settings = settings_for(home)
        preset = preset_for(settings, name)
        if preset.embedder.backend != "open_clip":
            raise PicsiftError(f"preset '{name}': only open_clip embedders export to ONNX")
        folder = ModelProvider(settings, preset).folder(preset.embedder)
        for path in export_clip(folder, int8=int8):
            out.print(f"wrote {path}", highlight=False, soft_wrap=True)

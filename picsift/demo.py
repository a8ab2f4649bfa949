"""The offline demo: index the bundled sample photos and search them.

It prefers the default models when their weights are on this machine and otherwise runs the
tiny preset (random weights), saying so, so a newcomer sees the whole product work even on a
machine with no network. The real commands never fall back like this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from picsift.config import Settings
from picsift.indexer import Indexer, IndexReport
from picsift.models import locate
from picsift.models.presets import Preset, PresetCatalog
from picsift.models.provider import ModelProvider
from picsift.resources import sample_photos_dir
from picsift.search import Hit, SearchOptions, SearchService
from picsift.store import Store


@dataclass
class DemoResult:
    home: Path
    preset: Preset
    report: IndexReport
    searches: dict[str, list[Hit]] = field(default_factory=dict)
    fallback_note: str | None = None


def _weights_present(preset: Preset, settings: Settings) -> bool:
    for spec in (preset.embedder, preset.captioner):
        folder = settings.resolved_models_dir / spec.folder_name
        if not (locate.is_complete(folder, spec) or locate.hf_cache_folder(spec)):
            return False
    return True


def choose_preset(settings: Settings) -> tuple[Preset, str | None]:
    catalog = PresetCatalog(settings.home / "presets.toml")
    wanted = catalog.preset(settings.preset)
    if wanted.meaningless or _weights_present(wanted, settings):
        return wanted, None
    note = (
        f"weights for preset '{wanted.name}' are not on this machine, so the demo uses the "
        "'tiny' preset (random weights): its captions and rankings are meaningless."
    )
    return catalog.preset("tiny"), note


def run_demo(settings: Settings, queries: list[str]) -> DemoResult:
    preset, note = choose_preset(settings)
    # Demo data lives apart from the user's library; downloaded models are shared.
    demo_settings = settings.model_copy(
        update={
            "home": settings.home / "demo" / preset.name,
            "models_dir": settings.resolved_models_dir,
        }
    )
    models = ModelProvider(demo_settings, preset)
    with Store.open(demo_settings) as store:
        report = Indexer(store, models, demo_settings).run([sample_photos_dir()])
        searcher = SearchService(store, models, demo_settings)
        searches = {q: searcher.search(q, SearchOptions(limit=3)).hits for q in queries}
    return DemoResult(demo_settings.home, preset, report, searches, note)

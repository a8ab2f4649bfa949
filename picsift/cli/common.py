"""What every command shares: consoles, options, settings, preset lookup, error handling."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from picsift.config import Settings
from picsift.errors import PicsiftError
from picsift.models.presets import Preset

if TYPE_CHECKING:
    from picsift.store import Store

EXIT_OK, EXIT_PARTIAL, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130

out = Console()
err = Console(stderr=True)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Store directory (default: PICSIFT_HOME or the user data dir)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
ModelsOpt = Annotated[
    str | None, typer.Option("--models", "-m", help="Model preset (see `picsift models list`).")
]


def settings_for(home: Path | None) -> Settings:
    return Settings(home=home) if home is not None else Settings()


def preset_for(settings: Settings, name: str | None, store: Store | None = None) -> Preset:
    """The preset asked for (``--models``, ``PICSIFT_PRESET``), else the one ``store`` was
    indexed with, else the configured default."""
    from picsift.library.models import choose_preset

    return choose_preset(settings, name, store)


def warn_meaningless(preset: Preset) -> None:
    if preset.meaningless:
        err.print(
            f"[yellow]note:[/] preset '{preset.name}' has random weights: captions and rankings "
            "below are meaningless (they only show the mechanics)."
        )


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors picsift raises on purpose into one line and exit code 2."""
    try:
        yield
    except PicsiftError as exc:
        # soft_wrap: a long path stays whole (copyable) instead of being cut at the width
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_ERROR) from None


def split_list(value: str | None) -> list[str] | None:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``; None (option not given) stays None."""
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


@contextmanager
def open_search(home: Path | None, models: str | None) -> Iterator[tuple[Settings, Any]]:
    """Settings and a SearchService over the store, for the commands that search."""
    from picsift.models.provider import ModelProvider
    from picsift.search import SearchService
    from picsift.store import Store

    settings = settings_for(home)
    with Store.open(settings) as store:
        preset = preset_for(settings, models, store)
        warn_meaningless(preset)
        yield settings, SearchService(store, ModelProvider(settings, preset), settings)

"""``picsift serve``: run the REST API with uvicorn."""

from __future__ import annotations

import ipaddress
import sys
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from picsift.cli.common import (
    EXIT_ERROR,
    HomeOpt,
    ModelsOpt,
    err,
    out,
    preset_for,
    settings_for,
    user_errors,
    warn_meaningless,
)
from picsift.config import Settings
from picsift.errors import PicsiftError


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    home: HomeOpt = None,
    models: ModelsOpt = None,
    watch: Annotated[
        list[Path] | None,
        typer.Option(help="Also index what lands in this folder (repeatable; PICSIFT_WATCH)."),
    ] = None,
) -> None:
    """Serve the REST API (search, describe, images); see README "REST API"."""
    from picsift.store import Store

    with user_errors():
        settings = settings_for(home)
        if watch:
            missing = [str(w) for w in watch if not w.is_dir()]
            if missing:
                raise PicsiftError(f"cannot watch {', '.join(missing)}: not a folder")
            settings = settings.model_copy(update={"watch": [w.resolve() for w in watch]})
        with Store.open(settings) as store:
            # an unknown preset stops here, before uvicorn; without --models, the store's own
            preset = preset_for(settings, models, store)
        settings = settings.model_copy(update={"preset": preset.name})
    run_server(settings, host, port)


def run_server(settings: Settings, host: str, port: int) -> None:
    """Start uvicorn on the API for ``settings`` (its home and preset) until Ctrl-C."""
    import uvicorn

    from picsift.app import create_app

    with user_errors():
        preset = preset_for(settings, None)
    warn_meaningless(preset)
    shown = f"[{host}]" if ":" in host else host
    out.print(
        f"picsift API for {settings.home} (preset '{preset.name}') on http://{shown}:{port}",
        highlight=False,
        soft_wrap=True,
    )
    if not _is_loopback(host):
        key_note = "" if settings.api_key else "; no API key is set (PICSIFT_API_KEY)"
        err.print(
            f"[yellow]warning:[/] {host} is not a loopback address: other machines can reach "
            f"this server{key_note}",
            highlight=False,
            soft_wrap=True,
        )
    config = uvicorn.Config(
        partial(create_app, settings), factory=True, host=host, port=port, log_level="info"
    )
    server = uvicorn.Server(config)
    # Worker threads run Python-level search and inference code holding the GIL; with the
    # default 5 ms switch interval the event loop waits several slices before it can even
    # answer "busy" (503). A shorter interval keeps overload answers fast
    # (bench/bench_load.py) at a small cost in throughput.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        server.run()  # returns on Ctrl-C / SIGTERM after a graceful shutdown
    except SystemExit as exc:  # uvicorn's way to report a failed start-up
        if exc.code not in (0, None):
            err.print("[red]error:[/] the server did not start (see the message above)")
            raise typer.Exit(EXIT_ERROR) from None
        raise


COMMANDS = [serve]
SWITCH_INTERVAL_S = 0.001

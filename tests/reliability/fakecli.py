"""The real ``picsift`` command with the fake models swapped in at the model boundary.

``python -m tests.reliability.fakecli index PHOTOS --json`` is ``picsift index`` in every
respect (argument parsing, store, indexer, exit codes) except that the embedder, captioner
and text embedder are :mod:`tests.fakes`: a run takes milliseconds per image, so a test can
start and kill it dozens of times.

:func:`run` is the same for a forked child (``multiprocessing`` forkserver), where starting a
fresh interpreter per kill would cost seconds.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from picsift.config import Settings
from picsift.models.presets import Preset
from tests.fakes import FakeModels


def fake_provider(_settings: Settings, _preset: Preset) -> FakeModels:
    return FakeModels()


def install(setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Make every CLI command build FakeModels where it would build a ModelProvider
    (``setattr_`` may be ``monkeypatch.setattr`` to undo it after a test)."""
    import picsift.cli.categories
    import picsift.cli.library
    import picsift.models.provider

    for module in (picsift.cli.library, picsift.cli.categories, picsift.models.provider):
        setattr_(module, "ModelProvider", fake_provider)


def _output_to(log: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def run(argv: Sequence[str], env: dict[str, str], log: str) -> None:
    """Child-process entry: environment, output to ``log``, then the CLI (its exit code)."""
    os.environ.update(env)
    _output_to(log)
    install()
    from picsift.cli import app

    app(args=list(argv), prog_name="picsift")


# What a forkserver imports once, so that forked children start in milliseconds.
PRELOAD = [
    "faiss",
    "picsift.cli",
    "picsift.cli.library",
    "picsift.cli.categories",
    "picsift.cluster.service",
    "picsift.indexer",
    "picsift.api.thumbnails",
    "tests.reliability.fakecli",
]


def make_thumbnails(home: str, log: str) -> None:
    """Child-process entry: every thumbnail size of every indexed image, as the API makes
    them (``picsift.api.thumbnails``)."""
    _output_to(log)

    from picsift.api.thumbnails import SIZES, Thumbnails
    from picsift.imaging.sandbox import DecodeSandbox
    from picsift.store import Store

    settings = Settings(home=Path(home))
    with DecodeSandbox(settings) as decoder, Store(settings.home) as store:
        thumbnails = Thumbnails(settings.home / "thumbnails", settings, decoder)
        rows = [r for r in store.catalog.rows_under("/").values() if r.status == "ok"]
        for size in reversed(SIZES):
            for row in rows:
                thumbnails.get(row, size)


if __name__ == "__main__":  # pragma: no cover
    install()
    from picsift.cli import app

    sys.exit(app(prog_name="picsift"))

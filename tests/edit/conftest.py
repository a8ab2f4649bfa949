"""Edit fixtures: a store of the sample photos indexed with the fake models, and a service
over it whose metadata writer is a fake (the real exiftool is exercised end to end)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from picsift.config import Settings
from picsift.edit.service import EditService
from picsift.imaging.sandbox import DecodeSandbox
from picsift.indexer import Indexer
from picsift.store import Store
from tests.fakes import FakeModels


class FakeExifTool:
    """Records what would be written; writes nothing."""

    def __init__(self) -> None:
        self.written: dict[str, dict[str, str]] = {}

    def require(self, why: str) -> str:
        return "exiftool"

    def write(self, path: Path, tags: Mapping[str, str]) -> None:
        self.written[Path(path).name] = dict(tags)

    def read(self, path: Path, *groups: str) -> dict[str, Any]:
        return {}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", decode_workers=1, index_facets=["colours", "edges"])


@pytest.fixture
def models() -> FakeModels:
    return FakeModels()


@pytest.fixture
def store(settings: Settings, photos: Path, models: FakeModels) -> Iterator[Store]:
    with Store(settings.home) as store:
        Indexer(store, models, settings).run([photos])
        yield store


@pytest.fixture
def exiftool() -> FakeExifTool:
    return FakeExifTool()


@pytest.fixture
def service(
    store: Store, models: FakeModels, settings: Settings, exiftool: FakeExifTool
) -> Iterator[EditService]:
    with DecodeSandbox(settings) as decoder:
        yield EditService(store, models, settings, decoder, exiftool)  # type: ignore[arg-type]

"""API fixtures: a store indexed with the fake models, and apps built on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from picsift.app import create_app
from picsift.config import Settings
from picsift.indexer import Indexer
from picsift.models.provider import ModelSource
from picsift.store import Store
from tests.api.helpers import MakeClient
from tests.fakes import FakeModels


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", decode_workers=2, batch_size=8)


@pytest.fixture
def indexed(settings: Settings, photos: Path) -> Path:
    """The sample photos, indexed into ``settings.home`` with the fake models."""
    with Store(settings.home) as store:
        report = Indexer(store, FakeModels(), settings).run([photos])
    assert report.complete and report.indexed == len(list(photos.glob("*.jpg")))
    return photos


@pytest.fixture
def make_client(settings: Settings, indexed: Path) -> Iterator[MakeClient]:
    """Build an app over the indexed store (settings overridable) and enter its lifespan."""
    clients: list[TestClient] = []

    def make(models: ModelSource | None = None, **overrides: Any) -> TestClient:
        app = create_app(settings.model_copy(update=overrides), models=models or FakeModels())
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()

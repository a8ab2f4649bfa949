"""Reliability fixtures: the API test fixtures (a fake-model store of the sample photos and
apps built on it) are shared with tests/api."""

from __future__ import annotations

from tests.api.conftest import client, indexed, make_client, settings  # noqa: F401  (shared)

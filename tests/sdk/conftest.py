"""Fixtures for the SDK tests: see support.py for how each client reaches the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from parley.config import Settings
from tests.sdk.support import Connector, connected


@pytest.fixture(params=["sync", "async"])
async def connect(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Connector]:
    """A client factory for the twin under test, on a fresh app and database."""
    async with connected(request.param, settings) as connector:
        yield connector

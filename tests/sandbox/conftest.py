"""An app whose sandbox has short limits, so that hostile code fails fast.

Tests that need other limits parametrize ``sandbox_limits`` indirectly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from parley.config import SandboxSettings
from tests.conftest import make_settings, started_app
from tests.functions.helpers import Branch, new_feature_branch

SHORT = SandboxSettings(
    pool_size=2, timeout_seconds=1.0, memory_mb=128, max_output_bytes=200_000, max_effects=100
)


@pytest.fixture
def sandbox_limits(request: pytest.FixtureRequest) -> SandboxSettings:
    limits: SandboxSettings = getattr(request, "param", SHORT)
    return limits


@pytest.fixture
async def sandbox_app(database_url: str, sandbox_limits: SandboxSettings) -> AsyncIterator[FastAPI]:
    async for app in started_app(make_settings(database_url, sandbox=sandbox_limits)):
        yield app


@pytest.fixture
async def feature(sandbox_app: FastAPI, admin: dict[str, str]) -> AsyncIterator[Branch]:
    transport = httpx.ASGITransport(app=sandbox_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
        yield await new_feature_branch(client, admin)

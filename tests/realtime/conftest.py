"""Fixtures of the real-time config tests: an agent and the base path of its pages."""

from __future__ import annotations

import httpx
import pytest

from tests.support.factories import create_agent

AGENT = "hotel"
BASE = f"/v1/agents/{AGENT}/real-time-configs"


@pytest.fixture
async def agent(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    await create_agent(client, admin, "default", AGENT)
    return AGENT

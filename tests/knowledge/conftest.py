from __future__ import annotations

import httpx
import pytest

from tests.knowledge.support import new_branch
from tests.support.factories import create_agent


@pytest.fixture
async def agent(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    await create_agent(client, admin, "default", "hotel")
    return "hotel"


@pytest.fixture
async def branch(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> str:
    return await new_branch(client, admin, agent, "kb-edits")

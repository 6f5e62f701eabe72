"""An agent with a feature branch to build flows in."""

from __future__ import annotations

import httpx
import pytest

from tests.flows.builders import AGENT
from tests.support.factories import create_agent


@pytest.fixture
async def agent(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    await create_agent(client, admin, "default", AGENT)
    return AGENT


@pytest.fixture
async def branch(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> str:
    response = await client.post(f"/v1/agents/{agent}/branches", json={"branchName": "flows"}, headers=admin)
    assert response.status_code == 201, response.text
    branch_id: str = response.json()["branchId"]
    return branch_id


@pytest.fixture
def base(agent: str, branch: str) -> str:
    return f"/v1/agents/{agent}/branches/{branch}"

"""Agents and keys for the test-suite tests: a bare agent with a branch, and the demo agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.demo import load_example
from tests.support.factories import account_admin, create_agent, create_key, key_header

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AGENT = "tester"


@pytest.fixture
async def branch(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    """A feature branch of a small agent with one global function and a variant."""
    await create_agent(client, admin, "default", AGENT)
    response = await client.post(f"/v1/agents/{AGENT}/branches", json={"branchName": "tests"}, headers=admin)
    assert response.status_code == 201, response.text
    branch_id: str = response.json()["branchId"]
    base = f"/v1/agents/{AGENT}/branches/{branch_id}"
    function = {
        "name": "book_room",
        "description": "Book a room.",
        "code": "def book_room(conv, nights: int):\n    return 'booked'\n",
    }
    response = await client.post(f"{base}/functions", json=function, headers=admin)
    assert response.status_code == 201, response.text
    return branch_id


@pytest.fixture
async def demo(app: FastAPI) -> str:
    async with app.state.sessionmaker() as session:
        agent_id = await load_example(session, EXAMPLES / "linden-hotel")
        await session.commit()
    return agent_id


@pytest.fixture
async def viewer(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    return key_header((await create_key(client, admin, "default", "viewer"))["key"])


@pytest.fixture
async def external(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    return key_header((await create_key(client, admin, "default", "external"))["key"])


@pytest.fixture
async def intruder(client: httpx.AsyncClient, operator: dict[str, str]) -> dict[str, str]:
    return await account_admin(client, operator, "intruder")


def scripted(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "scenario": "A guest asks about breakfast.",
        "userTurns": ["What time is breakfast?"],
        "responseAssertions": [{"turn": 1, "type": "contains", "value": "breakfast"}],
        **extra,
    }

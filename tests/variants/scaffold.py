"""Fixtures and the access-matrix check shared by the variants, entities, handoffs and SMS tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent, create_key, key_header

AGENT = "hotel"
_SCOPE_CODES = {"PROJECT_NOT_FOUND", "BRANCH_NOT_FOUND", "BRANCH_MAIN_READ_ONLY"}


@pytest.fixture
async def agent(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    await create_agent(client, admin, "default", AGENT)
    return AGENT


@pytest.fixture
async def branch(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> str:
    response = await client.post(f"/v1/agents/{agent}/branches", json={"branchName": "work"}, headers=admin)
    assert response.status_code == 201, response.text
    branch_id: str = response.json()["branchId"]
    return branch_id


@pytest.fixture
def base(agent: str, branch: str) -> str:
    return f"/v1/agents/{agent}/branches/{branch}"


@pytest.fixture
async def viewer(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    return key_header((await create_key(client, admin, "default", "viewer"))["key"])


@pytest.fixture
async def external(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    return key_header((await create_key(client, admin, "default", "external"))["key"])


@pytest.fixture
async def stranger(client: httpx.AsyncClient, operator: dict[str, str]) -> dict[str, str]:
    """The admin of another account: the agent must look as if it did not exist."""
    return await account_admin(client, operator, "othertenant")


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # relative to /v1/agents/{agent}/branches/{branch}
    write: bool
    json: Any = None
    files: dict[str, Any] | None = field(default=None)

    async def send(
        self, client: httpx.AsyncClient, headers: dict[str, str], agent: str, branch: str
    ) -> httpx.Response:
        url = f"/v1/agents/{agent}/branches/{branch}{self.path}"
        if self.files is not None:
            return await client.request(self.method, url, files=self.files, headers=headers)
        return await client.request(self.method, url, json=self.json, headers=headers)


async def check_access(
    client: httpx.AsyncClient,
    *,
    agent: str,
    branch: str,
    admin: dict[str, str],
    viewer: dict[str, str],
    external: dict[str, str],
    stranger: dict[str, str],
    calls: list[Call],
) -> None:
    """Every call: tenancy, authentication, roles, unknown branch and main's read-only rule."""
    for call in calls:
        assert_error(await call.send(client, stranger, agent, branch), "PROJECT_NOT_FOUND")
        assert_error(await call.send(client, {}, agent, branch), "AUTH_USER_UNAUTHORISED")
        assert_error(await call.send(client, external, agent, branch), "EXTERNAL_USER_FORBIDDEN")
        assert_error(await call.send(client, admin, agent, "BRANCH-NOPE0000"), "BRANCH_NOT_FOUND")
        assert_error(await call.send(client, admin, "no-such-agent", branch), "PROJECT_NOT_FOUND")
        if call.write:
            assert_error(await call.send(client, viewer, agent, branch), "USER_ACCESS_FORBIDDEN")
            assert_error(await call.send(client, admin, agent, "main"), "BRANCH_MAIN_READ_ONLY")
        else:
            response = await call.send(client, viewer, agent, branch)
            assert response.status_code == 200, (call, response.text)
            # Reading main is allowed; a resource made on the branch is simply not there.
            response = await call.send(client, admin, agent, "main")
            if response.status_code != 200:
                code = response.json()["error"]["code"]
                assert response.status_code == 404 and code not in _SCOPE_CODES, (call, response.text)

"""Helpers for function tests: a branch handle and tiny sources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.factories import create_agent

AGENT = "concierge"


@dataclass(frozen=True)
class Branch:
    client: httpx.AsyncClient
    headers: dict[str, str]
    agent: str
    branch: str

    def path(self, suffix: str = "", branch: str | None = None) -> str:
        return f"/v1/agents/{self.agent}/branches/{branch or self.branch}/functions{suffix}"

    async def create(self, name: str, code: str, **extra: Any) -> httpx.Response:
        return await self.client.post(
            self.path(), json={"name": name, "code": code, **extra}, headers=self.headers
        )

    async def created(self, name: str, code: str, **extra: Any) -> dict[str, Any]:
        response = await self.create(name, code, **extra)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def names(self) -> list[str]:
        response = await self.client.get(self.path(), headers=self.headers)
        assert response.status_code == 200, response.text
        return [f["name"] for f in response.json()["functions"]]


async def new_feature_branch(client: httpx.AsyncClient, admin: dict[str, str]) -> Branch:
    await create_agent(client, admin, "default", AGENT)
    response = await client.post(
        f"/v1/agents/{AGENT}/branches", json={"branchName": "feature"}, headers=admin
    )
    assert response.status_code == 201, response.text
    return Branch(client, admin, AGENT, response.json()["branchId"])


def source(name: str, params: str = "", body: str = "return None") -> str:
    signature = f"conv, {params}" if params else "conv"
    return f"def {name}({signature}):\n    {body}\n"

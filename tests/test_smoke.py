from __future__ import annotations

import httpx

from tests.support.envelope import assert_error


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["stores"]["database"]["status"] == "ok"


async def test_create_and_list_agent(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post(
        "/v1/accounts/default/agents",
        json={"name": "Hotel", "agentId": "hotel", "responseSettings": {"greeting": "Hi"}},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json()["branchCount"] == 1
    listed = await client.get("/v1/accounts/default/agents", headers=admin)
    assert [a["agentId"] for a in listed.json()] == ["hotel"]


async def test_unknown_route(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/nope"), "RESOURCE_NOT_FOUND")

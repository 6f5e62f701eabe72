"""Plain factory functions that create data through the public API."""

from __future__ import annotations

from typing import Any

import httpx


def key_header(key: str) -> dict[str, str]:
    return {"x-api-key": key}


async def create_account(
    client: httpx.AsyncClient, operator: dict[str, str], account_id: str, name: str = "Acme"
) -> dict[str, Any]:
    response = await client.post(
        "/v1/accounts", json={"accountId": account_id, "name": name}, headers=operator
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def account_admin(
    client: httpx.AsyncClient, operator: dict[str, str], account_id: str
) -> dict[str, str]:
    """Creates an account and returns its admin key's header."""
    created = await create_account(client, operator, account_id)
    return key_header(created["adminKey"]["key"])


async def create_key(
    client: httpx.AsyncClient, admin: dict[str, str], account_id: str, role: str, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/accounts/{account_id}/api-keys",
        json={"name": f"{role} key", "role": role, **extra},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_user(
    client: httpx.AsyncClient, admin: dict[str, str], account_id: str, email: str, role: str
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/accounts/{account_id}/users",
        json={"email": email, "name": email.split("@")[0], "role": role},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_agent(
    client: httpx.AsyncClient, key: dict[str, str], account_id: str, agent_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": extra.pop("name", "Test agent"),
        "responseSettings": {"greeting": "Hello"},
    }
    if agent_id is not None:
        body["agentId"] = agent_id
    body.update(extra)
    response = await client.post(f"/v1/accounts/{account_id}/agents", json=body, headers=key)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created

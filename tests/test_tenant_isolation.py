"""A key of account A can never read or change account B, on every endpoint that exists."""

from __future__ import annotations

import httpx

from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent, create_key, create_user


async def test_account_a_cannot_touch_account_b(
    client: httpx.AsyncClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    other_admin = await account_admin(client, operator, "victim")
    victim_agent = await create_agent(client, other_admin, "victim", "victim-agent")
    victim_user = await create_user(client, other_admin, "victim", "v@victim.com", "editor")
    victim_key = await create_key(client, other_admin, "victim", "viewer")

    account_paths = [
        ("GET", "/v1/accounts/victim", None),
        ("GET", "/v1/accounts/victim/agents", None),
        ("POST", "/v1/accounts/victim/agents", {"name": "x", "responseSettings": {"greeting": "g"}}),
        ("GET", "/v1/accounts/victim/users", None),
        ("POST", "/v1/accounts/victim/users", {"email": "a@b.c", "name": "A", "role": "admin"}),
        ("GET", f"/v1/accounts/victim/users/{victim_user['id']}", None),
        ("DELETE", f"/v1/accounts/victim/users/{victim_user['id']}", None),
        ("GET", "/v1/accounts/victim/api-keys", None),
        ("POST", "/v1/accounts/victim/api-keys", {"name": "k", "role": "admin"}),
        ("DELETE", f"/v1/accounts/victim/api-keys/{victim_key['id']}", None),
        ("POST", f"/v1/accounts/victim/api-keys/{victim_key['id']}/rotate", None),
    ]
    for method, path, body in account_paths:
        response = await client.request(method, path, json=body, headers=admin)
        assert_error(response, "ACCOUNT_NOT_FOUND")

    agent_paths = [
        ("DELETE", f"/v1/agents/{victim_agent['agentId']}", None),
        ("POST", f"/v1/agents/{victim_agent['agentId']}/duplicate", {"newAgentName": "stolen"}),
    ]
    for method, path, body in agent_paths:
        response = await client.request(method, path, json=body, headers=admin)
        assert_error(response, "PROJECT_NOT_FOUND")

    # Nothing changed on the victim's side.
    assert [
        a["agentId"] for a in (await client.get("/v1/accounts/victim/agents", headers=other_admin)).json()
    ] == ["victim-agent"]
    users = (await client.get("/v1/accounts/victim/users", headers=other_admin)).json()["users"]
    assert victim_user["id"] in [u["id"] for u in users] and len(users) == 2
    keys = (await client.get("/v1/accounts/victim/api-keys", headers=other_admin)).json()["apiKeys"]
    assert victim_key["id"] in [k["id"] for k in keys]
    assert (
        await client.get("/v1/accounts/victim/agents", headers={"x-api-key": victim_key["key"]})
    ).status_code == 200
    # And the attacker's own listing shows none of it.
    assert (await client.get("/v1/accounts/default/agents", headers=admin)).json() == []

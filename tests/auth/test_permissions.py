"""Roles, external principals, agent allow-lists and users, each failure with its exact code."""

from __future__ import annotations

import httpx
import pytest

from tests.support.envelope import assert_error
from tests.support.factories import create_agent, create_key, create_user, key_header


@pytest.mark.parametrize("role", ["editor", "viewer"])
async def test_account_administration_needs_admin(
    client: httpx.AsyncClient, admin: dict[str, str], role: str
) -> None:
    key = key_header((await create_key(client, admin, "default", role))["key"])
    calls = [
        client.get("/v1/accounts/default/users", headers=key),
        client.post(
            "/v1/accounts/default/users", json={"email": "a@b.c", "name": "A", "role": "viewer"}, headers=key
        ),
        client.get("/v1/accounts/default/api-keys", headers=key),
        client.post("/v1/accounts/default/api-keys", json={"name": "n", "role": "viewer"}, headers=key),
        client.post(
            "/v1/accounts/default/agents",
            json={"name": "x", "responseSettings": {"greeting": "g"}},
            headers=key,
        ),
    ]
    for call in calls:
        assert_error(await call, "ACCOUNT_INSUFFICIENT_PERMISSIONS")


async def test_agent_delete_and_duplicate_need_admin(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await create_agent(client, admin, "default", "hotel")
    editor = key_header((await create_key(client, admin, "default", "editor"))["key"])
    assert_error(await client.delete("/v1/agents/hotel", headers=editor), "ACCOUNT_INSUFFICIENT_PERMISSIONS")
    assert_error(
        await client.post("/v1/agents/hotel/duplicate", json={"newAgentName": "Copy"}, headers=editor),
        "ACCOUNT_INSUFFICIENT_PERMISSIONS",
    )


async def test_viewer_can_read_agents(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await create_agent(client, admin, "default", "hotel")
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    response = await client.get("/v1/accounts/default/agents", headers=viewer)
    assert [a["agentId"] for a in response.json()] == ["hotel"]


async def test_external_principal_is_refused_administration(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await create_agent(client, admin, "default", "hotel")
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    assert_error(await client.get("/v1/accounts/default/users", headers=external), "EXTERNAL_USER_FORBIDDEN")
    assert_error(await client.delete("/v1/agents/hotel", headers=external), "EXTERNAL_USER_FORBIDDEN")
    assert_error(
        await client.post(
            "/v1/accounts/default/agents",
            json={"name": "x", "responseSettings": {"greeting": "g"}},
            headers=external,
        ),
        "EXTERNAL_USER_FORBIDDEN",
    )


async def test_allow_list_limits_agents(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await create_agent(client, admin, "default", "hotel")
    await create_agent(client, admin, "default", "spa")
    limited = await create_key(client, admin, "default", "admin", agentIds=["hotel"])
    assert limited["agentIds"] == ["hotel"]
    key = key_header(limited["key"])
    listed = await client.get("/v1/accounts/default/agents", headers=key)
    assert [a["agentId"] for a in listed.json()] == ["hotel"]
    error = assert_error(await client.delete("/v1/agents/spa", headers=key), "USER_ACCESS_FORBIDDEN")
    assert "spa" in error["message"]
    assert_error(
        await client.post("/v1/agents/spa/duplicate", json={"newAgentName": "Copy"}, headers=key),
        "USER_ACCESS_FORBIDDEN",
    )
    assert (await client.delete("/v1/agents/hotel", headers=key)).status_code == 204


async def test_allow_list_must_name_existing_agents(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post(
        "/v1/accounts/default/api-keys",
        json={"name": "k", "role": "viewer", "agentIds": ["ghost"]},
        headers=admin,
    )
    error = assert_error(response, "PROJECT_NOT_FOUND")
    assert error["data"] == {"missingAgentIds": ["ghost"]}


async def test_key_cannot_exceed_its_users_role(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    viewer = await create_user(client, admin, "default", "viewer@example.com", "viewer")
    response = await client.post(
        "/v1/accounts/default/api-keys",
        json={"name": "k", "role": "admin", "userId": viewer["id"]},
        headers=admin,
    )
    assert_error(response, "USER_ACCESS_FORBIDDEN")
    external = await create_user(client, admin, "default", "ext@example.com", "external")
    response = await client.post(
        "/v1/accounts/default/api-keys",
        json={"name": "k", "role": "viewer", "userId": external["id"]},
        headers=admin,
    )
    assert_error(response, "USER_ACCESS_FORBIDDEN")
    ok = await create_key(client, admin, "default", "viewer", userId=viewer["id"])
    assert ok["userId"] == viewer["id"]


class TestUsers:
    async def test_crud(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        user = await create_user(client, admin, "default", "Ada@Example.com", "editor")
        assert (
            user["email"] == "ada@example.com" and user["role"] == "editor" and user["accountId"] == "default"
        )
        got = await client.get(f"/v1/accounts/default/users/{user['id']}", headers=admin)
        assert got.json() == user
        listed = await client.get("/v1/accounts/default/users", headers=admin)
        assert user["id"] in [u["id"] for u in listed.json()["users"]]
        assert (
            await client.delete(f"/v1/accounts/default/users/{user['id']}", headers=admin)
        ).status_code == 204
        assert_error(
            await client.get(f"/v1/accounts/default/users/{user['id']}", headers=admin), "AUTH_USER_NOT_FOUND"
        )
        assert_error(
            await client.delete(f"/v1/accounts/default/users/{user['id']}", headers=admin),
            "AUTH_USER_NOT_FOUND",
        )

    async def test_unknown_user(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        assert_error(
            await client.get("/v1/accounts/default/users/USER-NOPE", headers=admin), "AUTH_USER_NOT_FOUND"
        )
        response = await client.post(
            "/v1/accounts/default/api-keys",
            json={"name": "k", "role": "viewer", "userId": "USER-NOPE"},
            headers=admin,
        )
        assert_error(response, "AUTH_USER_NOT_FOUND")

    async def test_duplicate_email(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        await create_user(client, admin, "default", "dup@example.com", "viewer")
        response = await client.post(
            "/v1/accounts/default/users",
            json={"email": "DUP@example.com", "name": "D", "role": "viewer"},
            headers=admin,
        )
        assert_error(response, "AUTH_USER_ALREADY_EXISTS")

    @pytest.mark.parametrize(
        "body",
        [
            {"email": "not-an-email", "name": "x", "role": "viewer"},
            {"email": "a@b.c", "name": "", "role": "viewer"},
            {"email": "a@b.c", "name": "x", "role": "superuser"},
            {"email": "a@b.c", "name": "x"},
            {"email": ["a@b.c"], "name": "x", "role": "viewer"},
        ],
    )
    async def test_invalid_body(
        self, client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, object]
    ) -> None:
        response = await client.post("/v1/accounts/default/users", json=body, headers=admin)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")

    async def test_deleting_a_user_disables_its_keys(
        self, client: httpx.AsyncClient, admin: dict[str, str]
    ) -> None:
        user = await create_user(client, admin, "default", "gone@example.com", "editor")
        key = await create_key(client, admin, "default", "editor", userId=user["id"])
        headers = key_header(key["key"])
        assert (await client.get("/v1/accounts/default/agents", headers=headers)).status_code == 200
        await client.delete(f"/v1/accounts/default/users/{user['id']}", headers=admin)
        assert_error(
            await client.get("/v1/accounts/default/agents", headers=headers), "AUTH_USER_UNAUTHORISED"
        )
        listed = await client.get("/v1/accounts/default/api-keys", headers=admin)
        assert key["id"] not in [k["id"] for k in listed.json()["apiKeys"]]

    async def test_cannot_delete_own_user(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        me = [u for u in (await client.get("/v1/accounts/default/users", headers=admin)).json()["users"]]
        assert_error(
            await client.delete(f"/v1/accounts/default/users/{me[0]['id']}", headers=admin),
            "USER_ACCESS_FORBIDDEN",
        )

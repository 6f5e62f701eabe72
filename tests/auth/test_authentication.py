"""API keys: presence, validity, expiry, revocation, rotation, and how they are stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from parley.kit.db import utcnow
from parley.models import ApiKey
from tests.support.envelope import assert_error
from tests.support.factories import create_key, key_header


async def test_missing_key_is_401(client: httpx.AsyncClient) -> None:
    error = assert_error(await client.get("/v1/accounts/default/agents"), "AUTH_USER_UNAUTHORISED")
    assert "x-api-key" in error["message"]


async def test_unknown_key_is_401(client: httpx.AsyncClient) -> None:
    for bad in ("pk_nope", "", "x" * 5000, "pk_' OR 1=1 --", "ключ"):
        response = await client.get("/v1/accounts/default/agents", headers={"x-api-key": bad.encode()})
        assert_error(response, "AUTH_USER_UNAUTHORISED")


async def test_header_name_is_case_insensitive(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.get("/v1/accounts/default/agents", headers={"X-API-KEY": admin["x-api-key"]})
    assert response.status_code == 200


async def test_keys_are_stored_hashed(app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await create_key(client, admin, "default", "editor")
    async with app.state.sessionmaker() as session:
        rows = (await session.scalars(select(ApiKey))).all()
    stored = " ".join(f"{r.key_hash} {r.lookup} {r.hint}" for r in rows)
    assert created["key"] not in stored
    assert admin["x-api-key"] not in stored
    listed = await client.get("/v1/accounts/default/api-keys", headers=admin)
    assert created["key"] not in listed.text
    assert all("key" not in k for k in listed.json()["apiKeys"])


async def test_created_key_works_and_has_the_documented_shape(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await create_key(client, admin, "default", "viewer")
    assert set(created) >= {"id", "name", "role", "agentIds", "expiresAt", "createdAt", "userId", "key"}
    assert created["role"] == "viewer" and created["agentIds"] is None
    assert len(created["key"]) >= 40
    response = await client.get("/v1/accounts/default/agents", headers=key_header(created["key"]))
    assert response.status_code == 200


async def test_expired_key_is_401(app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    created = await create_key(client, admin, "default", "editor", expiresAt=soon)
    async with app.state.sessionmaker() as session:
        key = await session.get(ApiKey, created["id"])
        assert key is not None
        key.expires_at = utcnow() - timedelta(seconds=1)
        await session.commit()
    error = assert_error(
        await client.get("/v1/accounts/default/agents", headers=key_header(created["key"])),
        "AUTH_USER_UNAUTHORISED",
    )
    assert "expired" in error["message"]


async def test_expiry_in_the_past_is_refused(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post(
        "/v1/accounts/default/api-keys",
        json={"name": "old", "role": "editor", "expiresAt": "2001-01-01T00:00:00Z"},
        headers=admin,
    )
    assert_error(response, "SCHEMA_VALIDATION_FAILED")


async def test_revoked_key_is_401(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await create_key(client, admin, "default", "editor")
    response = await client.delete(f"/v1/accounts/default/api-keys/{created['id']}", headers=admin)
    assert response.status_code == 204
    assert_error(
        await client.get("/v1/accounts/default/agents", headers=key_header(created["key"])),
        "AUTH_USER_UNAUTHORISED",
    )
    assert_error(
        await client.delete(f"/v1/accounts/default/api-keys/{created['id']}", headers=admin),
        "API_KEY_NOT_FOUND",
    )


async def test_rotation_revokes_the_old_key_with_403(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await create_key(client, admin, "default", "editor", agentIds=None)
    response = await client.post(f"/v1/accounts/default/api-keys/{created['id']}/rotate", headers=admin)
    assert response.status_code == 201, response.text
    rotated = response.json()
    assert rotated["id"] != created["id"] and rotated["key"] != created["key"]
    assert rotated["role"] == "editor" and rotated["name"] == created["name"]
    error = assert_error(
        await client.get("/v1/accounts/default/agents", headers=key_header(created["key"])),
        "USER_ACCESS_FORBIDDEN",
    )
    assert "rotated" in error["message"]
    ok = await client.get("/v1/accounts/default/agents", headers=key_header(rotated["key"]))
    assert ok.status_code == 200
    assert_error(
        await client.post(f"/v1/accounts/default/api-keys/{created['id']}/rotate", headers=admin),
        "API_KEY_NOT_FOUND",
    )


async def test_rotation_grace_period_keeps_old_key_working(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    created = await create_key(client, admin, "default", "editor")
    response = await client.post(
        f"/v1/accounts/default/api-keys/{created['id']}/rotate",
        json={"gracePeriodSeconds": 3600},
        headers=admin,
    )
    assert response.status_code == 201
    assert (
        await client.get("/v1/accounts/default/agents", headers=key_header(created["key"]))
    ).status_code == 200
    listed = {
        k["id"]: k
        for k in (await client.get("/v1/accounts/default/api-keys", headers=admin)).json()["apiKeys"]
    }
    assert listed[created["id"]]["revokesAt"] is not None
    async with app.state.sessionmaker() as session:
        key = await session.get(ApiKey, created["id"])
        assert key is not None
        key.revoked_at = utcnow() - timedelta(seconds=1)
        await session.commit()
    assert_error(
        await client.get("/v1/accounts/default/agents", headers=key_header(created["key"])),
        "USER_ACCESS_FORBIDDEN",
    )


async def test_rotate_body_is_validated(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await create_key(client, admin, "default", "editor")
    for body in ({"gracePeriodSeconds": -1}, {"gracePeriodSeconds": "soon"}, {"other": 1}):
        response = await client.post(
            f"/v1/accounts/default/api-keys/{created['id']}/rotate", json=body, headers=admin
        )
        assert_error(response, "SCHEMA_VALIDATION_FAILED")

"""Agents per the Agents API spec: create, list, duplicate, delete, and the PROJECT_* codes."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.envelope import assert_error
from tests.support.factories import create_agent

SUMMARY_KEYS = {"accountId", "agentId", "agentName", "createdAt", "updatedAt", "branchCount"}


async def test_create_returns_agent_summary(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await create_agent(
        client,
        admin,
        "default",
        "linden-hotel",
        name="Linden Hotel",
        voiceSettings={"voiceId": "v1"},
        llmSettings={"modelId": "m"},
    )
    assert set(created) == SUMMARY_KEYS
    assert created["agentId"] == "linden-hotel" and created["agentName"] == "Linden Hotel"
    assert created["accountId"] == "default" and created["branchCount"] == 1
    assert created["createdAt"].endswith("Z")


async def test_generated_id_when_omitted(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    created = await create_agent(client, admin, "default", name="Café Olé ☕ Bar!")
    assert re.fullmatch(r"caf-ol-bar-[a-z0-9]{6}", created["agentId"]), created["agentId"]
    only_symbols = await create_agent(client, admin, "default", name="☕☕")
    assert re.fullmatch(r"agent-[a-z0-9]{6}", only_symbols["agentId"])


@pytest.mark.parametrize("bad", ["", "has space", "under_score", "a" * 65, "émoji", "../etc", "x;DROP"])
async def test_invalid_agent_id(client: httpx.AsyncClient, admin: dict[str, str], bad: str) -> None:
    response = await client.post(
        "/v1/accounts/default/agents",
        json={"name": "x", "agentId": bad, "responseSettings": {"greeting": "g"}},
        headers=admin,
    )
    assert_error(response, "PROJECT_ID_INVALID")


async def test_taken_agent_id_is_409_across_accounts(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str]
) -> None:
    await create_agent(client, admin, "default", "shared-id")
    response = await client.post(
        "/v1/accounts/default/agents",
        json={"name": "x", "agentId": "shared-id", "responseSettings": {"greeting": "g"}},
        headers=admin,
    )
    assert_error(response, "PROJECT_ID_ALREADY_EXISTS")
    other = await client.post("/v1/accounts", json={"accountId": "otheracct", "name": "o"}, headers=operator)
    other_admin = {"x-api-key": other.json()["adminKey"]["key"]}
    response = await client.post(
        "/v1/accounts/otheracct/agents",
        json={"name": "x", "agentId": "shared-id", "responseSettings": {"greeting": "g"}},
        headers=other_admin,
    )
    assert_error(response, "PROJECT_ID_ALREADY_EXISTS")


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x"},  # greeting is required
        {"name": "x", "responseSettings": {}},
        {"name": "", "responseSettings": {"greeting": "g"}},
        {"name": "x" * 101, "responseSettings": {"greeting": "g"}},
        {"name": "x", "responseSettings": {"greeting": "g"}, "description": "not in the spec"},
        {"name": "x", "responseSettings": {"greeting": "g", "languageCode": ""}},
        {"name": "x", "responseSettings": {"greeting": "g"}, "voiceSettings": {}},
    ],
)
async def test_invalid_create_body(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, object]
) -> None:
    assert_error(
        await client.post("/v1/accounts/default/agents", json=body, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    assert (await client.get("/v1/accounts/default/agents", headers=admin)).json() == []


async def test_unicode_and_injection_names_round_trip(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    name = "Robert'); DROP TABLE agent;-- 🤖 <script>"
    created = await create_agent(client, admin, "default", "bobby", name=name)
    assert created["agentName"] == name
    listed = await client.get("/v1/accounts/default/agents", headers=admin)
    assert listed.json()[0]["agentName"] == name


async def test_duplicate(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await create_agent(client, admin, "default", "original")
    response = await client.post(
        "/v1/agents/original/duplicate", json={"newAgentName": "Copy", "newAgentId": "copy-1"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["agentId"] == "copy-1" and response.json()["agentName"] == "Copy"
    assert response.json()["branchCount"] == 1
    generated = await client.post(
        "/v1/agents/original/duplicate", json={"newAgentName": "Copy two"}, headers=admin
    )
    assert generated.json()["agentId"].startswith("copy-two-")
    ids = sorted(
        a["agentId"] for a in (await client.get("/v1/accounts/default/agents", headers=admin)).json()
    )
    assert ids == sorted(["original", "copy-1", generated.json()["agentId"]])


async def test_duplicate_errors(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await create_agent(client, admin, "default", "original")
    assert_error(
        await client.post("/v1/agents/ghost/duplicate", json={"newAgentName": "C"}, headers=admin),
        "PROJECT_NOT_FOUND",
    )
    assert_error(
        await client.post(
            "/v1/agents/original/duplicate",
            json={"newAgentName": "C", "newAgentId": "original"},
            headers=admin,
        ),
        "PROJECT_ID_ALREADY_EXISTS",
    )
    assert_error(
        await client.post(
            "/v1/agents/original/duplicate", json={"newAgentName": "C", "newAgentId": "bad id"}, headers=admin
        ),
        "PROJECT_ID_INVALID",
    )
    assert_error(
        await client.post("/v1/agents/original/duplicate", json={}, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )


async def test_delete(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await create_agent(client, admin, "default", "doomed")
    response = await client.delete("/v1/agents/doomed", headers=admin)
    assert response.status_code == 204 and response.content == b""
    assert_error(await client.delete("/v1/agents/doomed", headers=admin), "PROJECT_NOT_FOUND")
    assert (await client.get("/v1/accounts/default/agents", headers=admin)).json() == []
    again = await create_agent(client, admin, "default", "doomed")
    assert again["agentId"] == "doomed"

"""The Chat API: create, respond, close, with every Chat code of the seed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from parley.config import RuntimeSettings
from parley.models.conversation import ConversationTurn
from tests.conftest import ADMIN_KEY, make_settings, started_app
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent, create_key, key_header

from .conftest import build_and_deploy

CHAT = "/v1/default/hotel/chat"


async def start(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict[str, object]:
    response = await client.post(f"{CHAT}/create", json={"environment": "sandbox", **body}, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


async def say(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: object, text: str
) -> httpx.Response:
    return await client.post(
        f"{CHAT}/respond", json={"conversation_id": conversation_id, "message": text}, headers=headers
    )


async def test_conversation_with_the_knowledge_base(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    created = await start(client, admin)
    assert created["response"] == "Welcome to the Linden Hotel!"
    assert str(created["conversation_id"]).startswith("CONV-")
    reply = await say(client, admin, created["conversation_id"], "When is the swimming pool open?")
    assert reply.status_code == 200
    assert reply.json() == {
        "conversation_id": created["conversation_id"],
        "response": "The pool is open from 7am to 10pm every day.",
        "end_conversation": False,
    }
    unknown = await say(client, admin, created["conversation_id"], "What is the airspeed of a swallow?")
    assert "don't have an answer" in unknown.json()["response"]
    async with app.state.sessionmaker() as session:
        turns = (await session.scalars(select(ConversationTurn).order_by(ConversationTurn.index))).all()
    assert [t.index for t in turns] == [0, 1, 2]
    assert turns[1].data["topics"][0] == "Pool hours" and turns[1].latency_ms > 0


async def test_topic_handoff_ends_the_conversation(
    client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    created = await start(client, admin)
    reply = await say(client, admin, created["conversation_id"], "I want to make a complaint")
    body = reply.json()
    assert body["end_conversation"] is True
    assert body["handoff"] == {"destination": "duty_manager", "reason": ""}
    assert "duty manager" in body["response"]
    assert_error(await say(client, admin, created["conversation_id"], "hello?"), "ChatConversationEnded")


async def test_topic_sms_is_recorded(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    created = await start(client, admin)
    reply = await say(client, admin, created["conversation_id"], "send me the address")
    assert reply.json()["response"] == "I have texted you our address."
    async with app.state.sessionmaker() as session:
        turn = await session.get(ConversationTurn, (created["conversation_id"], 1))
    assert turn is not None
    assert turn.data["effects"][0]["template"] == "address"
    assert turn.data["effects"][0]["from"] == "+442079460001"


async def test_nothing_deployed_is_chat_draft_not_exist(
    client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    # Only sandbox has a deployment; live is the default environment.
    response = await client.post(f"{CHAT}/create", json={}, headers=admin)
    assert_error(response, "CHAT_DRAFT_NOT_EXIST")
    await create_agent(client, admin, "default", "empty")
    response = await client.post(
        "/v1/default/empty/chat/create", json={"environment": "sandbox"}, headers=admin
    )
    assert_error(response, "CHAT_DRAFT_NOT_EXIST")


async def test_close_then_message_is_410(
    client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    created = await start(client, admin)
    closed = await client.put(
        f"{CHAT}/close", json={"conversation_id": created["conversation_id"]}, headers=admin
    )
    assert closed.status_code == 200 and closed.json() == {"success": True}
    assert_error(await say(client, admin, created["conversation_id"], "hi"), "ChatConversationEnded")
    again = await client.put(
        f"{CHAT}/close", json={"conversation_id": created["conversation_id"]}, headers=admin
    )
    assert_error(again, "ChatConversationEnded")


async def test_unknown_conversation(client: httpx.AsyncClient, admin: dict[str, str], deployed: str) -> None:
    assert_error(await say(client, admin, "CONV-NOPE", "hi"), "CONVERSATIONS_NOT_FOUND")
    response = await client.put(f"{CHAT}/close", json={"conversation_id": "CONV-NOPE"}, headers=admin)
    assert_error(response, "CONVERSATIONS_NOT_FOUND")


@pytest.fixture
async def impatient_app(database_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(database_url, runtime=RuntimeSettings(chat_timeout_seconds=0.2))
    async for app in started_app(settings):
        yield app


async def test_idle_conversation_times_out(impatient_app: FastAPI) -> None:
    headers = key_header(ADMIN_KEY)
    transport = httpx.ASGITransport(app=impatient_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await build_and_deploy(client, headers)
        created = await start(client, headers)
        await asyncio.sleep(0.3)
        assert_error(await say(client, headers, created["conversation_id"], "hello"), "CHAT_TIMEOUT")
        # It stays timed out: the conversation was ended, not just this one message refused.
        assert_error(await say(client, headers, created["conversation_id"], "hello"), "CHAT_TIMEOUT")


async def test_connector_token(client: httpx.AsyncClient, admin: dict[str, str], deployed: str) -> None:
    bad = await client.post(f"{CHAT}/create", json={}, headers={**admin, "X-TOKEN": "not-a-token"})
    assert_error(bad, "AUTH_USER_INVALID_TOKEN")
    connector = await client.post(
        "/v1/agents/hotel/telephony/connectors", json={"name": "web", "clientEnv": "sandbox"}, headers=admin
    )
    assert connector.status_code == 201, connector.text
    token = connector.json()["token"]
    # The connector's environment is the default: sandbox has a deployment, live has none.
    created = await client.post(f"{CHAT}/create", json={}, headers={**admin, "X-TOKEN": token})
    assert created.status_code == 200, created.text
    reply = await client.post(
        f"{CHAT}/respond",
        json={"conversation_id": created.json()["conversation_id"], "message": "how much is parking"},
        headers={**admin, "X-TOKEN": "wrong"},
    )
    assert_error(reply, "AUTH_USER_INVALID_TOKEN")


async def test_path_checks(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], deployed: str
) -> None:
    assert_error(
        await client.post("/v2/default/hotel/chat/create", json={}, headers=admin), "RESOURCE_NOT_FOUND"
    )
    assert_error(
        await client.post("/v1/default/ghost/chat/create", json={}, headers=admin), "PROJECT_NOT_FOUND"
    )
    assert_error(
        await client.post("/v1/otheracct/hotel/chat/create", json={}, headers=admin), "ACCOUNT_NOT_FOUND"
    )
    intruder = await account_admin(client, operator, "intruder")
    assert_error(await client.post(f"{CHAT}/create", json={}, headers=intruder), "ACCOUNT_NOT_FOUND")
    response = await client.post(
        "/v1/intruder/hotel/chat/create", json={"environment": "sandbox"}, headers=intruder
    )
    assert_error(response, "PROJECT_NOT_FOUND")


async def test_external_keys_may_chat(
    client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    created = await start(client, external)
    reply = await say(client, external, created["conversation_id"], "how much is parking")
    assert reply.json()["response"] == "Parking costs 20 pounds per night."


async def test_unknown_variant(client: httpx.AsyncClient, admin: dict[str, str], deployed: str) -> None:
    response = await client.post(
        f"{CHAT}/create", json={"environment": "sandbox", "variant_id": "VARIANT-X"}, headers=admin
    )
    assert_error(response, "VARIANT_NOT_FOUND")


@pytest.mark.parametrize(
    "body",
    [{"channel": "fax"}, {"environment": "production"}, {"integration_attributes": [1]}, {"unknown": 1}],
)
async def test_create_body_validation(
    client: httpx.AsyncClient, admin: dict[str, str], deployed: str, body: dict[str, object]
) -> None:
    assert_error(await client.post(f"{CHAT}/create", json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")


async def test_respond_body_validation(
    client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    for body in (
        {},
        {"conversation_id": ""},
        {"conversation_id": "x", "message": 5},
        {"conversation_id": "x", "message": "a" * 10001},
    ):
        assert_error(
            await client.post(f"{CHAT}/respond", json=body, headers=admin), "SCHEMA_VALIDATION_FAILED"
        )


async def test_a_body_problem_is_reported_once(
    client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    # The body is declared by the route and by its lock dependency; FastAPI validates it for both.
    response = await client.post(f"{CHAT}/respond", json={"conversation_id": 5}, headers=admin)
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    paths = [problem["path"] for problem in error["data"]["errors"]]
    assert paths == sorted(set(paths)) and "/body/conversation_id" in paths


async def test_messages_of_one_conversation_run_one_at_a_time(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    created = await start(client, admin)
    replies = await asyncio.gather(
        *[say(client, admin, created["conversation_id"], f"how much is parking {i}") for i in range(8)]
    )
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    async with app.state.sessionmaker() as session:
        indexes = (
            await session.scalars(
                select(ConversationTurn.index).where(
                    ConversationTurn.conversation_id == created["conversation_id"]
                )
            )
        ).all()
    assert sorted(indexes) == list(range(9))


async def test_unicode_and_injection_messages(
    client: httpx.AsyncClient, admin: dict[str, str], deployed: str
) -> None:
    created = await start(client, admin)
    assert_error(
        await say(client, admin, created["conversation_id"], "nul \u0000 byte"), "SCHEMA_VALIDATION_FAILED"
    )
    for text in ("'; DROP TABLE conversation; --", "🏊 pool?", "{{fn:secret}} {{vrbl:x}}", ""):
        reply = await say(client, admin, created["conversation_id"], text)
        assert reply.status_code == 200, reply.text
        assert "DROP TABLE" not in reply.json()["response"]

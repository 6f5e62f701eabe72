"""Conversations send SMS into the outbox; the outbox endpoints read them back."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from parley.models.conversation import ConversationTurn
from tests.sms.support import (
    GUEST,
    LIVE_NUMBER,
    MESSAGES,
    SANDBOX_NUMBER,
    ask_for_directions,
    messages,
    say,
    start_chat,
)
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent, create_key, key_header


async def test_the_booking_flow_sends_its_confirmation_into_the_outbox(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    conversation = await start_chat(client, admin)
    for text in ("book a table", "four of us", "2027-03-14", "7:30pm", "yes please"):
        reply = await say(client, admin, conversation, text)
    assert "I've sent you a text" in reply
    [message] = await messages(client, admin)
    assert message["status"] == "sent" and message["reason"] is None
    assert message["template"] == "booking_confirmation"
    assert message["body"] == "Table for 4 on 2027-03-14 at 19:30. Ref LH40314."
    assert (message["to"], message["from"]) == (GUEST, LIVE_NUMBER)
    assert message["conversationId"] == conversation and message["environment"] == "live"
    assert (message["direction"], message["source"], message["provider"]) == (
        "outbound",
        "conversation",
        "outbox",
    )
    one = await client.get(f"{MESSAGES}/{message['id']}", headers=admin)
    assert one.status_code == 200 and one.json() == message
    # The turn's log names the message it produced.
    async with app.state.sessionmaker() as session:
        turns = (
            await session.scalars(
                select(ConversationTurn).where(ConversationTurn.conversation_id == conversation)
            )
        ).all()
    effects = [e for t in turns for e in t.data["effects"] if e["type"] == "sms"]
    assert [(e["messageId"], e["status"]) for e in effects] == [(message["id"], "sent")]


async def test_asking_for_the_address_texts_the_directions(
    client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    await ask_for_directions(client, admin)
    [message] = await messages(client, admin)
    assert message["template"] == "directions" and message["status"] == "sent"
    assert message["body"].startswith("The Linden Hotel London: ") and "See you soon!" in message["body"]


async def test_a_draft_sends_from_the_sandbox_number(
    client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    created = await client.post(f"/v1/agents/{demo}/debug-chat", json={"clientEnv": "draft"}, headers=admin)
    conversation = created.json()["conversationId"]
    reply = await client.post(
        f"/v1/agents/{demo}/debug-chat/{conversation}",
        json={"clientEnv": "draft", "message": "what is your address"},
        headers=admin,
    )
    assert reply.status_code == 200, reply.text
    [message] = await messages(client, admin)
    assert (message["status"], message["from"], message["environment"]) == ("sent", SANDBOX_NUMBER, "draft")


async def test_no_sender_for_the_environment_records_a_failure_and_the_turn_goes_on(
    client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    branch = (
        await client.post(f"/v1/agents/{demo}/branches", json={"branchName": "no-sandbox"}, headers=admin)
    ).json()["branchId"]
    templates_path = f"/v1/agents/{demo}/branches/{branch}/sms-templates"
    templates = (await client.get(templates_path, headers=admin)).json()["smsTemplates"]
    directions = next(t for t in templates if t["name"] == "directions")
    updated = await client.patch(
        f"{templates_path}/{directions['id']}",
        json={"envPhoneNumbers": {"live": LIVE_NUMBER}},
        headers=admin,
    )
    assert updated.status_code == 200, updated.text
    created = await client.post(
        f"/v1/agents/{demo}/debug-chat", json={"clientEnv": "draft", "branchId": branch}, headers=admin
    )
    reply = await client.post(
        f"/v1/agents/{demo}/debug-chat/{created.json()['conversationId']}",
        json={"clientEnv": "draft", "message": "what is your address"},
        headers=admin,
    )
    assert reply.status_code == 200, reply.text
    [message] = await messages(client, admin)
    assert message["status"] == "failed" and message["from"] is None
    assert "No sender number" in message["reason"]
    assert message["provider"] is None


async def test_newest_first_and_filters(client: httpx.AsyncClient, admin: dict[str, str], demo: str) -> None:
    await ask_for_directions(client, admin)
    conversation = await start_chat(client, admin)
    for text in ("book a table", "two", "2027-01-02", "8pm", "yes"):
        await say(client, admin, conversation, text)
    listed = await messages(client, admin)
    assert [m["template"] for m in listed] == ["booking_confirmation", "directions"]
    assert [m["template"] for m in await messages(client, admin, limit=1)] == ["booking_confirmation"]
    assert len(await messages(client, admin, status="sent", to="+44 7911 123456")) == 2
    assert await messages(client, admin, status="failed") == []
    assert await messages(client, admin, to="+442079460958") == []
    assert await messages(client, admin, direction="inbound") == []


async def test_bad_queries_and_unknown_messages(
    client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    for params in ({"status": "delivered"}, {"limit": "0"}, {"limit": "501"}, {"limit": "many"}):
        error = assert_error(
            await client.get(MESSAGES, params=params, headers=admin), "SCHEMA_VALIDATION_FAILED"
        )
        assert error["data"]["errors"][0]["path"].startswith("/query/")
    error = assert_error(
        await client.get(MESSAGES, params={"to": "'; DROP TABLE sms_message; --"}, headers=admin),
        "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT",
    )
    assert error["data"]["errors"][0]["path"] == "/query/to"
    for unknown in ("SMS-NOPE", "é" * 300, "%2E%2E"):
        assert_error(await client.get(f"{MESSAGES}/{unknown}", headers=admin), "SMS_MESSAGE_NOT_FOUND")
    assert_error(await client.get("/v1/agents/nope/sms/messages", headers=admin), "PROJECT_NOT_FOUND")


async def test_tenants_roles_and_credentials(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], demo: str
) -> None:
    await ask_for_directions(client, admin)
    [message] = await messages(client, admin)
    stranger = await account_admin(client, operator, "othertenant")
    assert_error(await client.get(MESSAGES, headers=stranger), "PROJECT_NOT_FOUND")
    assert_error(await client.get(f"{MESSAGES}/{message['id']}", headers=stranger), "PROJECT_NOT_FOUND")
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    assert [m["id"] for m in await messages(client, viewer)] == [message["id"]]
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    assert_error(await client.get(MESSAGES, headers=external), "EXTERNAL_USER_FORBIDDEN")
    assert_error(await client.get(MESSAGES), "AUTH_USER_UNAUTHORISED")
    await create_agent(client, admin, "default", "another-agent")
    other_agent_only = key_header(
        (await create_key(client, admin, "default", "viewer", agentIds=["another-agent"]))["key"]
    )
    assert_error(await client.get(MESSAGES, headers=other_agent_only), "USER_ACCESS_FORBIDDEN")

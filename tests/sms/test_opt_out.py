"""STOP and START: through the inbound webhook and through SMS-channel conversations."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from parley.models.conversation import Conversation
from tests.sms.support import (
    AGENT_LINE,
    GUEST,
    INBOUND,
    ask_for_directions,
    connector_with_number,
    inbound,
    messages,
    say,
    start_chat,
)
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_key, key_header


@pytest.fixture
async def line(client: httpx.AsyncClient, admin: dict[str, str], demo: str) -> dict[str, object]:
    return await connector_with_number(client, admin)


async def test_stop_blocks_until_start(
    client: httpx.AsyncClient, admin: dict[str, str], line: object
) -> None:
    stopped = await inbound(client, admin, "  stop ")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["action"] == "opted_out"
    await ask_for_directions(client, admin)
    [blocked] = await messages(client, admin, direction="outbound")
    assert (blocked["status"], blocked["to"]) == ("blocked_opt_out", GUEST)
    assert "opted out" in blocked["reason"] and blocked["provider"] is None
    assert (await inbound(client, admin, "STOPALL")).json()["action"] == "opted_out"  # already out
    assert (await inbound(client, admin, "Start")).json()["action"] == "opted_in"
    assert (await inbound(client, admin, "START")).json()["action"] == "none"  # nothing to undo
    await ask_for_directions(client, admin)
    assert [m["status"] for m in await messages(client, admin, direction="outbound")] == [
        "sent",
        "blocked_opt_out",
    ]


async def test_every_keyword_in_any_case(
    client: httpx.AsyncClient, admin: dict[str, str], line: object
) -> None:
    for stop, start in zip(
        ("STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT"),
        ("unstop", "yes", "START") * 2,
        strict=True,
    ):
        assert (await inbound(client, admin, stop)).json()["action"] == "opted_out", stop
        assert (await inbound(client, admin, start)).json()["action"] == "opted_in", start


async def test_anything_but_a_whole_keyword_is_just_a_message(
    client: httpx.AsyncClient, admin: dict[str, str], line: object
) -> None:
    texts = ["STOP please", "don't stop", "S T O P", "", "🛑", "stop.", "'; DROP TABLE sms_opt_out; --"]
    for text in texts:
        response = await inbound(client, admin, text)
        assert response.status_code == 200 and response.json()["action"] == "none", text
    await ask_for_directions(client, admin)
    assert (await messages(client, admin, direction="outbound"))[0]["status"] == "sent"
    received = await messages(client, admin, direction="inbound")
    assert [m["body"] for m in received] == texts[::-1]
    assert {(m["status"], m["from"], m["to"]) for m in received} == {("received", GUEST, AGENT_LINE)}
    assert received[0]["id"] == response.json()["messageId"]


async def test_a_connector_token_authenticates_the_webhook(
    client: httpx.AsyncClient, admin: dict[str, str], line: dict[str, str]
) -> None:
    response = await inbound(client, {"X-TOKEN": line["token"]}, "STOP")
    assert response.status_code == 200 and response.json()["action"] == "opted_out"
    assert_error(await inbound(client, {"X-TOKEN": "ct_not-a-token"}, "STOP"), "AUTH_USER_INVALID_TOKEN")
    assert_error(await inbound(client, {}, "STOP"), "AUTH_USER_UNAUTHORISED")


async def test_webhook_refusals_record_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], line: object
) -> None:
    assert_error(await inbound(client, admin, "STOP", to="+442079460958"), "PHONE_NUMBERS_NOT_FOUND")
    for sender in ("07911 123456", "+44 abc", "x" * 64):
        error = assert_error(
            await inbound(client, admin, "STOP", sender=sender), "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"
        )
        assert error["data"]["errors"][0]["path"] == "/body/from"
    for body in (
        {"from": GUEST, "to": AGENT_LINE},
        {"from": GUEST, "to": AGENT_LINE, "body": 5},
        {"from": GUEST, "to": AGENT_LINE, "body": "x" * 1601},
        {"from": [GUEST], "to": AGENT_LINE, "body": "STOP"},
        {"from": GUEST, "to": AGENT_LINE, "body": "STOP", "extra": 1},
        {"from": GUEST, "to": AGENT_LINE, "body": "ST\u0000OP"},
    ):
        assert_error(await client.post(INBOUND, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert_error(
        await client.post(INBOUND, content=b"{nope", headers={**admin, "content-type": "application/json"}),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert_error(
        await client.post(INBOUND, content=b"from=x", headers={**admin, "content-type": "text/plain"}),
        "UNSUPPORTED_MEDIA_TYPE",
    )
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    assert_error(await inbound(client, viewer, "STOP"), "USER_ACCESS_FORBIDDEN")
    stranger = await account_admin(client, operator, "strangers")
    assert_error(await inbound(client, stranger, "STOP"), "PROJECT_NOT_FOUND")
    assert await messages(client, admin) == []
    await ask_for_directions(client, admin)
    assert (await messages(client, admin))[0]["status"] == "sent"


async def test_stop_in_an_sms_conversation_opts_the_caller_out(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    conversation = await start_chat(client, admin, channel="sms")
    # The Chat API has no caller field; an SMS transport knows the sender and records it.
    async with app.state.sessionmaker() as session:
        stored = await session.get(Conversation, conversation)
        assert stored is not None
        stored.caller_number = GUEST
        await session.commit()
    await say(client, admin, conversation, "STOP")
    assert "text you our address" in await say(client, admin, conversation, "what is your address")
    [blocked] = await messages(client, admin)
    assert (blocked["status"], blocked["conversationId"]) == ("blocked_opt_out", conversation)
    await say(client, admin, conversation, "start")
    await say(client, admin, conversation, "what is your address")
    assert [m["status"] for m in await messages(client, admin)] == ["sent", "blocked_opt_out"]


async def test_stop_in_a_non_sms_conversation_is_only_words(
    client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    conversation = await start_chat(client, admin, channel="webchat")
    await say(client, admin, conversation, "STOP")
    await say(client, admin, conversation, "what is your address")
    assert [m["status"] for m in await messages(client, admin)] == ["sent"]

"""The openai provider end to end: the real app's Chat API, a deployed agent, the real sandbox, and
the fake OpenAI server standing in for the model."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from parley.models.conversation import ConversationTurn
from parley.runtime.providers.openai import OpenAIProvider
from tests.chat.conftest import build_and_deploy
from tests.conftest import ADMIN_KEY, make_settings, started_app
from tests.providers.conftest import API_KEY, runtime_settings
from tests.providers.fake_openai import FakeOpenAI, Scripted
from tests.support.envelope import assert_error
from tests.support.factories import create_agent, key_header

ADMIN = key_header(ADMIN_KEY)
CHAT = "/v1/default/hotel/chat"
CHECK_ROOMS = 'def check_rooms(conv, night: str):\n    return f"Two rooms are free on {night}."\n'


@pytest.fixture
async def app(database_url: str, fake: FakeOpenAI) -> AsyncIterator[FastAPI]:
    settings = make_settings(database_url, runtime=runtime_settings(fake))
    async for started in started_app(settings):
        provider = started.state.conversation_engine.provider
        assert isinstance(provider, OpenAIProvider)
        yield started
        await provider.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://parley.test") as c:
        yield c


async def start(client: httpx.AsyncClient) -> str:
    response = await client.post(f"{CHAT}/create", json={"environment": "sandbox"}, headers=ADMIN)
    assert response.status_code == 200, response.text
    conversation_id: str = response.json()["conversation_id"]
    return conversation_id


async def say(client: httpx.AsyncClient, conversation_id: str, text: str) -> httpx.Response:
    body = {"conversation_id": conversation_id, "message": text}
    return await client.post(f"{CHAT}/respond", json=body, headers=ADMIN)


async def test_reply_comes_from_the_model(client: httpx.AsyncClient, fake: FakeOpenAI) -> None:
    await build_and_deploy(client, ADMIN)
    conversation_id = await start(client)
    fake.reply("The pool opens at 7am, 🏊 until 10pm.")
    reply = await say(client, conversation_id, "When is the swimming pool open?")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "conversation_id": conversation_id,
        "response": "The pool opens at 7am, 🏊 until 10pm.",
        "end_conversation": False,
    }
    [sent] = fake.requests
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    messages = sent.body["messages"]
    assert "### Pool hours\nThe pool is open from 7am to 10pm every day." in messages[0]["content"]
    assert messages[1:] == [
        {"role": "assistant", "content": "Welcome to the Linden Hotel!"},
        {"role": "user", "content": "When is the swimming pool open?"},
    ]


async def test_tool_round_trip_through_the_sandbox(
    app: FastAPI, client: httpx.AsyncClient, fake: FakeOpenAI
) -> None:
    await create_agent(client, ADMIN, "default", "hotel")
    branch = await client.post("/v1/agents/hotel/branches", json={"branchName": "rooms"}, headers=ADMIN)
    base = f"/v1/agents/hotel/branches/{branch.json()['branchId']}"
    function = {"name": "check_rooms", "description": "Rooms free on a night.", "code": CHECK_ROOMS}
    assert (await client.post(f"{base}/functions", json=function, headers=ADMIN)).status_code == 201
    topic = {
        "name": "Room availability",
        "content": "We have twelve rooms.",
        "actions": "Look it up with {{fn:check_rooms}}.",
        "exampleQueries": {"queries": ["are there any rooms free", "do you have availability"]},
    }
    assert (await client.post(f"{base}/knowledge-base/topics", json=topic, headers=ADMIN)).status_code == 201
    assert (await client.post(f"{base}/merge", json={}, headers=ADMIN)).status_code == 200
    conversation_id = await start(client)

    fake.call(("check_rooms", {"night": "Friday"}))
    fake.reply("Yes: two rooms are free on Friday.")
    reply = await say(client, conversation_id, "Are there any rooms free on Friday?")
    assert reply.status_code == 200, reply.text
    assert reply.json()["response"] == "Yes: two rooms are free on Friday."

    first, second = (r.body for r in fake.requests)
    assert first["tools"][0]["function"] == {
        "name": "check_rooms",
        "description": "Rooms free on a night.",
        "parameters": {
            "type": "object",
            "properties": {"night": {"type": "string"}},
            "required": ["night"],
            "additionalProperties": False,
        },
    }
    assert "Actions: Look it up with the `check_rooms` tool." in first["messages"][0]["content"]
    assert second["messages"][-1] == {
        "role": "tool",
        "tool_call_id": second["messages"][-2]["tool_calls"][0]["id"],
        "content": "Two rooms are free on Friday.",
    }
    async with app.state.sessionmaker() as session:
        turn = await session.get(ConversationTurn, (conversation_id, 1))
    assert turn is not None
    assert turn.data["functionCalls"] == [
        {"name": "check_rooms", "arguments": {"night": "Friday"}, "result": "Two rooms are free on Friday."}
    ]


async def test_upstream_failure_is_a_502_envelope_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, fake: FakeOpenAI
) -> None:
    await build_and_deploy(client, ADMIN)
    conversation_id = await start(client)
    failing = Scripted(503, {"error": {"message": f"bad key {API_KEY}"}}, headers={"Retry-After": "0"})
    fake.push(failing, failing)
    response = await say(client, conversation_id, "How much is parking?")
    error = assert_error(response, "BAD_GATEWAY")
    assert error["message"] == "The model provider answered HTTP 503."
    assert error["data"] == {"reason": "upstreamStatus", "upstreamStatus": 503}
    assert API_KEY not in response.text
    assert len(fake.requests) == 2

    # The failed turn left no trace: the conversation carries on as if it had not been sent.
    fake.reply("Parking is 20 pounds a night.")
    again = await say(client, conversation_id, "And parking?")
    assert again.status_code == 200, again.text
    assert again.json()["response"] == "Parking is 20 pounds a night."
    assert [m["content"] for m in fake.requests[-1].body["messages"][1:]] == [
        "Welcome to the Linden Hotel!",
        "And parking?",
    ]
    async with app.state.sessionmaker() as session:
        turns = (
            await session.scalars(
                select(ConversationTurn.user_input).where(ConversationTurn.conversation_id == conversation_id)
            )
        ).all()
    assert sorted(turns) == ["", "And parking?"]

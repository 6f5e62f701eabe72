"""The demo agent in examples/: it loads, deploys everywhere, and a guest can use all of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from parley.demo import example_folders, load_example
from parley.models.conversation import Conversation, ConversationTurn

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CHAT = "/v1/default/linden-hotel/chat"


@pytest.fixture
async def demo(app: FastAPI) -> str:
    async with app.state.sessionmaker() as session:
        agent_id = await load_example(session, EXAMPLES / "linden-hotel")
        await session.commit()
    return agent_id


async def start(client: httpx.AsyncClient, admin: dict[str, str], **body: Any) -> str:
    response = await client.post(f"{CHAT}/create", json=body, headers=admin)
    assert response.status_code == 200, response.text
    conversation_id: str = response.json()["conversation_id"]
    return conversation_id


async def say(
    client: httpx.AsyncClient, admin: dict[str, str], conversation_id: str, text: str
) -> dict[str, Any]:
    response = await client.post(
        f"{CHAT}/respond", json={"conversation_id": conversation_id, "message": text}, headers=admin
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_demo_is_an_example_folder() -> None:
    assert [p.name for p in example_folders(EXAMPLES)] == ["linden-hotel"]


async def test_deployed_to_every_environment(
    client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    active = (await client.get(f"/v1/agents/{demo}/deployments/active", headers=admin)).json()[
        "activeDeployments"
    ]
    assert {env: d is not None for env, d in active.items()} == {
        "sandbox": True,
        "pre-release": True,
        "live": True,
    }
    assert len({d["version"] for d in active.values()}) == 1
    topics = (
        await client.get(f"/v1/agents/{demo}/branches/main/knowledge-base/topics", headers=admin)
    ).json()
    assert len(topics) >= 20


async def test_greeting_and_knowledge(client: httpx.AsyncClient, admin: dict[str, str], demo: str) -> None:
    response = await client.post(f"{CHAT}/create", json={}, headers=admin)
    assert response.json()["response"] == "Welcome to the Linden Hotel London! How can I help you today?"
    conversation = response.json()["conversation_id"]
    reply = await say(client, admin, conversation, "What time is breakfast?")
    assert reply["response"] == "Breakfast is served from 6:30am to 10:30am in the Garden Restaurant."
    reply = await say(client, admin, conversation, "Can I bring my dog?")
    assert "Dogs are welcome" in reply["response"]


async def test_variant_chosen_by_the_start_function(
    client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    response = await client.post(
        f"{CHAT}/create", json={"integration_attributes": {"site": "Edinburgh"}}, headers=admin
    )
    assert response.json()["response"] == "Welcome to the Linden Hotel Edinburgh! How can I help you today?"
    reply = await say(client, admin, response.json()["conversation_id"], "when is breakfast served")
    assert "from 7am to 11am" in reply["response"]


async def test_table_booking_flow(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    conversation = await start(client, admin)
    reply = await say(client, admin, conversation, "I'd like to book a table for dinner")
    assert reply["response"].endswith("How many people is the table for?")
    assert "How many" in (await say(client, admin, conversation, "hmm, not sure yet"))["response"]
    assert (await say(client, admin, conversation, "four of us"))[
        "response"
    ] == "What date would you like to come?"
    assert (await say(client, admin, conversation, "2027-03-14"))["response"] == "And at what time?"
    reply = await say(client, admin, conversation, "7:30pm please")
    assert reply["response"] == "That's a table for 4 on 2027-03-14 at 19:30. Shall I book it?"
    reply = await say(client, admin, conversation, "yes please")
    assert "Your table is booked. Your reference is LH40314" in reply["response"]
    async with app.state.sessionmaker() as session:
        stored = await session.get(Conversation, conversation)
        turns = (
            await session.scalars(
                select(ConversationTurn)
                .where(ConversationTurn.conversation_id == conversation)
                .order_by(ConversationTurn.index)
            )
        ).all()
    assert stored is not None and stored.runtime["state"]["booking_ref"] == "LH40314"
    assert stored.runtime["flow"] is None
    sms = [e for t in turns for e in t.data["effects"] if e["type"] == "sms"]
    assert sms[0]["template"] == "booking_confirmation"
    assert sms[0]["content"] == "Table for 4 on 2027-03-14 at 19:30. Ref LH40314."
    assert sms[0]["from"] == "+442079460102"  # the live number: chat defaults to live
    calls = [c["name"] for t in turns for c in t.data["functionCalls"]]
    assert {"start_table_booking", "check_availability", "finish_booking"} <= set(calls)


async def test_party_too_large_for_todays_limit(
    client: httpx.AsyncClient, admin: dict[str, str], demo: str
) -> None:
    conversation = await start(client, admin)
    await say(client, admin, conversation, "book a table")
    await say(client, admin, conversation, "12 people")
    await say(client, admin, conversation, "tomorrow")
    reply = await say(client, admin, conversation, "at 8pm")
    assert "up to 8 people" in reply["response"]


async def test_wake_up_call_and_handoff(client: httpx.AsyncClient, admin: dict[str, str], demo: str) -> None:
    conversation = await start(client, admin)
    assert "What time" in (await say(client, admin, conversation, "can I get a wake up call"))["response"]
    assert (await say(client, admin, conversation, "6:45am"))["response"] == "What is your room number?"
    assert (await say(client, admin, conversation, "room 214"))[
        "response"
    ] == "Done: room 214 will get a call at 06:45."
    reply = await say(client, admin, conversation, "I want to make a complaint about the noise")
    assert reply["end_conversation"] is True and reply["handoff"]["destination"] == "duty_manager"


async def test_debug_chat_on_the_draft(client: httpx.AsyncClient, admin: dict[str, str], demo: str) -> None:
    response = await client.post(f"/v1/agents/{demo}/debug-chat", json={"clientEnv": "draft"}, headers=admin)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["conversationId"].startswith("AS_CHAT_") and body["conversationEnded"] is False
    reply = await client.post(
        f"/v1/agents/{demo}/debug-chat/{body['conversationId']}",
        json={"clientEnv": "draft", "message": "is there wifi"},
        headers=admin,
    )
    assert reply.status_code == 200
    assert reply.json()["metadata"]["retrievedTopics"][0] == "Wi-Fi"


async def test_export_import_round_trip(client: httpx.AsyncClient, admin: dict[str, str], demo: str) -> None:
    exported = (await client.get(f"/v1/agents/{demo}/branches/main/export", headers=admin)).json()
    original = json.loads((EXAMPLES / "linden-hotel" / "agent.json").read_text())
    assert [t["name"] for t in exported["topics"]] == [t["name"] for t in original["topics"]]
    assert [s["name"] for s in exported["flows"][0]["steps"]] == [
        s["name"] for s in original["flows"][0]["steps"]
    ]
    # Importing the export elsewhere and exporting again changes nothing.
    await client.post(
        "/v1/accounts/default/agents",
        json={"name": "Copy", "agentId": "copy", "responseSettings": {"greeting": "Hi"}},
        headers=admin,
    )
    branch = (
        await client.post("/v1/agents/copy/branches", json={"branchName": "import"}, headers=admin)
    ).json()
    base = f"/v1/agents/copy/branches/{branch['branchId']}"
    imported = await client.post(f"{base}/import", json=exported, headers=admin)
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"]["topics"] == len(original["topics"])
    assert (await client.get(f"{base}/export", headers=admin)).json() == exported

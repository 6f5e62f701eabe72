"""Helpers of the SMS tests: the demo agent, a connector with a routed number, chatting, the outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from parley.demo import load_example

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO = "linden-hotel"
CHAT = f"/v1/default/{DEMO}/chat"
MESSAGES = f"/v1/agents/{DEMO}/sms/messages"
INBOUND = f"/v1/agents/{DEMO}/sms/inbound"
GUEST = "+447911123456"  # the demo's functions text this number when the caller is unknown
LIVE_NUMBER = "+442079460102"
SANDBOX_NUMBER = "+442079460100"
AGENT_LINE = "+442079460999"


async def load_demo(app: FastAPI) -> str:
    async with app.state.sessionmaker() as session:
        agent_id = await load_example(session, EXAMPLES / DEMO)
        await session.commit()
    return agent_id


async def start_chat(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> str:
    response = await client.post(f"{CHAT}/create", json=body, headers=headers)
    assert response.status_code == 200, response.text
    conversation_id: str = response.json()["conversation_id"]
    return conversation_id


async def say(client: httpx.AsyncClient, headers: dict[str, str], conversation_id: str, text: str) -> str:
    response = await client.post(
        f"{CHAT}/respond", json={"conversation_id": conversation_id, "message": text}, headers=headers
    )
    assert response.status_code == 200, response.text
    reply: str = response.json()["response"]
    return reply


async def ask_for_directions(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    conversation = await start_chat(client, headers)
    assert "text you our address" in await say(client, headers, conversation, "what is your address")
    return conversation


async def messages(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get(MESSAGES, params=params, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["messages"]
    return found


async def connector_with_number(
    client: httpx.AsyncClient, headers: dict[str, str], number: str = AGENT_LINE, agent: str = DEMO
) -> dict[str, Any]:
    """A live connector of ``agent`` with ``number`` imported and routed to it."""
    created = await client.post(
        f"/v1/agents/{agent}/telephony/connectors",
        json={"name": "SMS line", "clientEnv": "live"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    connector: dict[str, Any] = created.json()
    numbers = f"/v1/agents/{agent}/telephony/phone-numbers"
    imported = await client.post(numbers, json={"phoneNumbers": [number]}, headers=headers)
    assert imported.status_code == 201, imported.text
    routed = await client.patch(
        f"{numbers}/{number.replace('+', '%2B')}",
        json={"connectorId": connector["connectorId"]},
        headers=headers,
    )
    assert routed.status_code == 200, routed.text
    return connector


async def inbound(
    client: httpx.AsyncClient, headers: dict[str, str], body: str, sender: str = GUEST, to: str = AGENT_LINE
) -> httpx.Response:
    return await client.post(INBOUND, json={"from": sender, "to": to, "body": body}, headers=headers)

"""Conversations made for real through the Chat API, plus synthetic ones for paging at volume."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.conversations.generate import GenerateOptions, generate
from tests.chat.conftest import build_and_deploy

CHAT = "/v1/default/hotel/chat"
V3 = "/v3/default/hotel/conversations"
V1 = "/v1/default/hotel/conversations"


async def chat(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    messages: list[str],
    *,
    close: bool = False,
    **create: Any,
) -> str:
    response = await client.post(f"{CHAT}/create", json={"environment": "sandbox", **create}, headers=headers)
    assert response.status_code == 200, response.text
    conversation_id: str = response.json()["conversation_id"]
    for message in messages:
        reply = await client.post(
            f"{CHAT}/respond", json={"conversation_id": conversation_id, "message": message}, headers=headers
        )
        assert reply.status_code == 200, reply.text
    if close:
        closed = await client.put(f"{CHAT}/close", json={"conversation_id": conversation_id}, headers=headers)
        assert closed.status_code == 200, closed.text
    return conversation_id


@pytest.fixture
async def talked(client: httpx.AsyncClient, admin: dict[str, str]) -> dict[str, str]:
    """Three sandbox conversations of the hotel agent: pool (closed), complaint (handoff), sms."""
    await build_and_deploy(client, admin)
    return {
        "pool": await chat(client, admin, ["When is the swimming pool open?"], close=True),
        "complaint": await chat(
            client,
            admin,
            ["I want to make a complaint"],
            integration_attributes={"shared_id": "acme-42"},
        ),
        "sms": await chat(client, admin, ["how much is parking"], channel="sms"),
    }


async def seed(app: FastAPI, count: int, agent_id: str = "bulk", **extra: Any) -> None:
    options = GenerateOptions(
        agent_id=agent_id, count=count, batch=500, end=datetime(2026, 6, 1, tzinfo=UTC), **extra
    )
    await generate(app.state.engine, options)

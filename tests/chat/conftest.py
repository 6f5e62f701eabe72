"""An agent with a few topics, a handoff and an SMS template, deployed to sandbox."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.factories import create_agent

AGENT = "hotel"
TOPICS: list[dict[str, Any]] = [
    {
        "name": "Pool hours",
        "content": "The pool is open from 7am to 10pm every day.",
        "exampleQueries": {"queries": ["when is the pool open", "swimming pool times"]},
    },
    {
        "name": "Parking",
        "content": "Parking costs 20 pounds per night.",
        "exampleQueries": {"queries": ["how much is parking", "can I park my car"]},
    },
    {
        "name": "Complaints",
        "content": "I am sorry to hear that. Let me put you through to the duty manager.",
        "actions": "Transfer with {{ho:duty_manager}}",
        "exampleQueries": {"queries": ["I want to make a complaint", "speak to a manager"]},
    },
    {
        "name": "Directions",
        "content": "I have texted you our address.",
        "actions": "Send {{twilio_sms:address}}",
        "exampleQueries": {"queries": ["where are you located", "send me the address"]},
    },
]


async def build_and_deploy(client: httpx.AsyncClient, admin: dict[str, str], agent: str = AGENT) -> None:
    await create_agent(
        client, admin, "default", agent, responseSettings={"greeting": "Welcome to the Linden Hotel!"}
    )
    branch = (
        await client.post(f"/v1/agents/{agent}/branches", json={"branchName": "kb"}, headers=admin)
    ).json()
    base = f"/v1/agents/{agent}/branches/{branch['branchId']}"
    handoff = {
        "name": "duty_manager",
        "description": "Duty manager",
        "destination": "+442079460000",
        "method": "refer",
    }
    response = await client.post(f"{base}/handoffs", json=handoff, headers=admin)
    assert response.status_code == 201, response.text
    template = {
        "name": "address",
        "text": "Linden Hotel, 1 High Street",
        "envPhoneNumbers": {"sandbox": "+442079460001"},
    }
    response = await client.post(f"{base}/sms-templates", json=template, headers=admin)
    assert response.status_code == 201, response.text
    for topic in TOPICS:
        response = await client.post(f"{base}/knowledge-base/topics", json=topic, headers=admin)
        assert response.status_code == 201, response.text
    response = await client.post(f"{base}/merge", json={}, headers=admin)
    assert response.status_code == 200, response.text


@pytest.fixture
async def deployed(client: httpx.AsyncClient, admin: dict[str, str]) -> str:
    await build_and_deploy(client, admin)
    return AGENT

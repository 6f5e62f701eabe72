"""Helpers of the telephony tests: connectors and numbers made through the public API."""

from __future__ import annotations

from typing import Any

import httpx

AGENT = "hotel"


def connectors_path(agent: str = AGENT) -> str:
    return f"/v1/agents/{agent}/telephony/connectors"


def numbers_path(agent: str = AGENT) -> str:
    return f"/v1/agents/{agent}/telephony/phone-numbers"


async def create_connector(
    client: httpx.AsyncClient, headers: dict[str, str], agent: str = AGENT, **body: Any
) -> dict[str, Any]:
    payload = {"name": "Main line", "clientEnv": "live", **body}
    response = await client.post(connectors_path(agent), json=payload, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def import_numbers(
    client: httpx.AsyncClient, headers: dict[str, str], numbers: list[str], agent: str = AGENT, **body: Any
) -> list[str]:
    response = await client.post(numbers_path(agent), json={"phoneNumbers": numbers, **body}, headers=headers)
    assert response.status_code == 201, response.text
    imported: list[str] = response.json()["imported"]
    return imported


async def get_number(
    client: httpx.AsyncClient, headers: dict[str, str], number: str, agent: str = AGENT
) -> httpx.Response:
    return await client.get(f"{numbers_path(agent)}/{number.replace('+', '%2B')}", headers=headers)

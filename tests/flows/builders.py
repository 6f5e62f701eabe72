"""Helpers that build flows, steps and functions over HTTP (and entities, directly)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from parley.branches import kinds
from parley.branches.store import ResourceKind, ResourceStore
from parley.errors import Conflict, ResourceNotFound

AGENT = "flowbot"

# The entities slice is built elsewhere; its documents are inserted directly, as it would store them.
_ENTITY = ResourceKind(kinds.ENTITY, "ENTITY", "Entity", ResourceNotFound, Conflict)


async def add_entities(app: FastAPI, branch_id: str, *names: str) -> None:
    async with app.state.sessionmaker() as session:
        store = ResourceStore(session, branch_id, _ENTITY)
        for name in names:
            await store.create({"name": name, "type": "number"})
        await session.commit()


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def new_flow(
    client: httpx.AsyncClient, headers: dict[str, str], base: str, name: str
) -> dict[str, Any]:
    return await created(await client.post(f"{base}/flows", json={"name": name}, headers=headers))


async def new_step(
    client: httpx.AsyncClient, headers: dict[str, str], base: str, flow_id: str, **body: Any
) -> dict[str, Any]:
    body = {"stepType": "advanced", **body}
    if body["stepType"] != "function":
        body.setdefault("prompt", "Ask how you can help.")
    return await created(await client.post(f"{base}/flows/{flow_id}/steps", json=body, headers=headers))


async def new_function(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    base: str,
    flow_id: str,
    name: str,
    code: str | None = None,
) -> dict[str, Any]:
    body = {
        "name": name,
        "description": "Moves on.",
        "code": code or f"def {name}(conv, flow):\n    return None\n",
    }
    return await created(await client.post(f"{base}/flows/{flow_id}/functions", json=body, headers=headers))

"""Helpers for knowledge-base tests: branches, topic URLs, CSV uploads, resources of other kinds.

Resources of other kinds (functions, handoffs, SMS templates, ...) are written through our own
storage layer, the same one their slices use, so that reference checks have real targets.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from parley.branches.store import ResourceKind, ResourceStore
from parley.errors import Conflict, ResourceNotFound

CSV_HEADER = "name,content,actions,example_queries,is_active\r\n"


async def new_branch(client: httpx.AsyncClient, headers: dict[str, str], agent: str, name: str) -> str:
    response = await client.post(f"/v1/agents/{agent}/branches", json={"branchName": name}, headers=headers)
    assert response.status_code == 201, response.text
    branch_id: str = response.json()["branchId"]
    return branch_id


def kb(agent: str, branch: str, path: str = "topics") -> str:
    return f"/v1/agents/{agent}/branches/{branch}/knowledge-base/{path}"


async def create_topic(
    client: httpx.AsyncClient, headers: dict[str, str], agent: str, branch: str, **body: Any
) -> dict[str, Any]:
    body = {"name": "Parking", "content": "Free parking behind the hotel.", **body}
    response = await client.post(kb(agent, branch), json=body, headers=headers)
    assert response.status_code == 201, response.text
    topic: dict[str, Any] = response.json()
    return topic


async def list_topics(
    client: httpx.AsyncClient, headers: dict[str, str], agent: str, branch: str
) -> list[dict[str, Any]]:
    response = await client.get(kb(agent, branch), headers=headers)
    assert response.status_code == 200, response.text
    topics: list[dict[str, Any]] = response.json()
    return topics


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    agent: str,
    branch: str,
    content: bytes | str,
    *,
    filename: str = "topics.csv",
    content_type: str = "text/csv",
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    return await client.post(
        kb(agent, branch, "import"), files={"file": (filename, data, content_type)}, headers=headers
    )


async def insert_resource(
    app: FastAPI, branch_id: str, kind: str, data: dict[str, Any], parent_id: str = ""
) -> str:
    """Store a resource of another kind in a branch and commit it; returns its id."""
    store_kind = ResourceKind(kind, kind.upper(), kind, ResourceNotFound, Conflict)
    async with app.state.sessionmaker() as session:
        row = await ResourceStore(session, branch_id, store_kind).create(data, parent_id=parent_id)
        await session.commit()
        return row.resource_id


async def delete_resource(app: FastAPI, branch_id: str, kind: str, resource_id: str) -> None:
    store_kind = ResourceKind(kind, kind.upper(), kind, ResourceNotFound, Conflict)
    async with app.state.sessionmaker() as session:
        await ResourceStore(session, branch_id, store_kind).delete(resource_id)
        await session.commit()

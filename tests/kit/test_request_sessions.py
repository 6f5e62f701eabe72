"""Every request's session is closed by the route class, whatever the request's outcome."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute

from parley.kit.db import get_session
from tests.support.envelope import assert_error
from tests.support.factories import create_agent


def _uses_request_session(dependant: Dependant) -> bool:
    return dependant.call is get_session or any(_uses_request_session(d) for d in dependant.dependencies)


def _all_routes(routes: list[Any]) -> list[Any]:
    """Routes, including those of included routers (FastAPI keeps those behind a wrapper)."""
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found += _all_routes(included.routes) if included is not None else [route]
    return found


async def test_every_route_with_a_request_session_has_the_route_class_that_closes_it(app: FastAPI) -> None:
    users = [
        route
        for route in _all_routes(app.routes)
        if isinstance(route, (APIRoute, APIWebSocketRoute)) and _uses_request_session(route.dependant)
    ]
    assert len(users) > 50
    assert {type(route).__name__ for route in users} == {"ParleyRoute"}


async def test_no_connection_is_left_checked_out_after_successes_and_failures(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    pool = app.state.engine.pool
    await create_agent(client, admin, "default", "pooled")
    failures = [
        # Fails after its writes began: the agent id is taken (the transaction is rolled back).
        await client.post(
            "/v1/accounts/default/agents",
            json={"name": "x", "agentId": "pooled", "responseSettings": {"greeting": "g"}},
            headers=admin,
        ),
        await client.post("/v1/accounts/default/agents", json={"name": 1}, headers=admin),
        await client.get("/v1/accounts/default/agents", headers={"x-api-key": "pk_wrong"}),
        await client.post(
            "/v1/default/pooled/chat/respond",
            json={"conversation_id": "nope", "message": "hi"},
            headers=admin,
        ),
    ]
    assert_error(failures[0], "PROJECT_ID_ALREADY_EXISTS")
    assert [response.status_code for response in failures[1:]] == [400, 401, 404]
    listed = await client.get("/v1/accounts/default/agents", headers=admin)
    assert listed.status_code == 200
    assert [a["agentId"] for a in listed.json()].count("pooled") == 1
    assert pool.checkedout() == 0

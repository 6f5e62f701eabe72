"""Schemas built to be slow are refused or cut short; they never hang the server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.realtime.conftest import BASE
from tests.support.envelope import assert_error

# The budget is one second of evaluation; allow generous slack for slow CI machines.
FAST = 6.0


def doubling_schema(levels: int) -> dict[str, Any]:
    """Every level refers twice to the next: 2**levels evaluations for a value that fails them all."""
    definitions: dict[str, Any] = {
        f"d{i}": {"anyOf": [{"$ref": f"#/definitions/d{i + 1}"}, {"$ref": f"#/definitions/d{i + 1}"}]}
        for i in range(levels)
    }
    definitions[f"d{levels}"] = {"type": "string"}
    return {"definitions": definitions, "properties": {"x": {"$ref": "#/definitions/d0"}}}


async def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


async def test_exponential_schema_is_cut_short_and_the_server_keeps_serving(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    schema = doubling_schema(60)
    # Accepted: nothing exercises it yet.
    assert (
        await client.put(f"{BASE}/live/schema", json={"schema": schema}, headers=admin)
    ).status_code == 200

    finished: dict[str, float] = {}

    async def hostile() -> httpx.Response:
        response = await client.patch(f"{BASE}/live/variables", json={"variables": {"x": 1}}, headers=admin)
        finished["hostile"] = time.monotonic()
        return response

    async def bystander() -> httpx.Response:
        await asyncio.sleep(0.05)
        response = await client.get("/v1/accounts/default/agents", headers=admin)
        finished["bystander"] = time.monotonic()
        return response

    started = time.monotonic()
    hostile_response, bystander_response = await asyncio.gather(hostile(), bystander())
    error = assert_error(hostile_response, "REAL_TIME_CONFIG_INVALID_SCHEMA")
    assert "too expensive" in error["message"]
    assert finished["hostile"] - started < FAST
    # Evaluation runs off the event loop: another request was answered meanwhile.
    assert bystander_response.status_code == 200
    assert finished["bystander"] < finished["hostile"]
    page = (await client.get(f"{BASE}/live", headers=admin)).json()
    assert page["variables"] == {}


async def test_catastrophic_regex_is_cut_short(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    schema = {"properties": {"code": {"type": "string", "pattern": "^(a|a)*$"}}}
    assert (
        await client.put(f"{BASE}/sandbox/schema", json={"schema": schema}, headers=admin)
    ).status_code == 200
    accepted = await client.patch(
        f"{BASE}/sandbox/variables", json={"variables": {"code": "aaa"}}, headers=admin
    )
    assert accepted.status_code == 200
    response, elapsed = await timed(
        client.patch(f"{BASE}/sandbox/variables", json={"variables": {"code": "a" * 40 + "!"}}, headers=admin)
    )
    error = assert_error(response, "REAL_TIME_CONFIG_INVALID_SCHEMA")
    assert "pattern" in error["message"]
    assert elapsed < FAST
    page = (await client.get(f"{BASE}/sandbox", headers=admin)).json()
    assert page["variables"] == {"code": "aaa"}


async def test_reference_cycle_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    schema = {
        "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
        "$ref": "#/definitions/a",
    }
    response, elapsed = await timed(client.put(f"{BASE}/live/schema", json={"schema": schema}, headers=admin))
    assert_error(response, "REAL_TIME_CONFIG_INVALID_SCHEMA")
    assert elapsed < FAST


async def test_unique_items_over_a_long_array_is_fast(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    schema = {"properties": {"rooms": {"type": "array", "uniqueItems": True}}}
    assert (
        await client.put(f"{BASE}/live/schema", json={"schema": schema}, headers=admin)
    ).status_code == 200
    rooms = [{"n": i} for i in range(15000)]
    response, elapsed = await timed(
        client.patch(f"{BASE}/live/variables", json={"variables": {"rooms": rooms}}, headers=admin)
    )
    assert response.status_code == 200, response.text
    assert elapsed < FAST
    # JSON equality, not Python identity: 1 and 1.0 are the same item, true and 1 are not.
    error = assert_error(
        await client.patch(
            f"{BASE}/live/variables", json={"variables": {"rooms": [1, True, 1.0]}}, headers=admin
        ),
        "REAL_TIME_CONFIG_INVALID_FOR_SCHEMA",
    )
    assert error["data"]["errors"][0]["path"] == "/rooms"
    assert (
        await client.patch(
            f"{BASE}/live/variables", json={"variables": {"rooms": [1, True, "1"]}}, headers=admin
        )
    ).status_code == 200


async def test_violation_reports_are_bounded(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    schema = {"additionalProperties": {"type": "integer"}}
    assert (
        await client.put(f"{BASE}/live/schema", json={"schema": schema}, headers=admin)
    ).status_code == 200
    variables = {f"k{i}": "not an integer " + "x" * 500 for i in range(300)}
    error = assert_error(
        await client.patch(f"{BASE}/live/variables", json={"variables": variables}, headers=admin),
        "REAL_TIME_CONFIG_INVALID_FOR_SCHEMA",
    )
    assert len(error["data"]["errors"]) == 200 and error["data"]["truncated"] is True
    assert all(len(e["message"]) <= 300 for e in error["data"]["errors"])

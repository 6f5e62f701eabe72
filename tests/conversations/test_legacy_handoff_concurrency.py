"""Legacy v1 list, handoff_state and concurrency, per their specs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_key, key_header

from .conftest import V1, seed

HANDOFF = "/v1/default/hotel/handoff_state"
CONCURRENCY = "/v1/default/hotel/conversations/concurrency"


async def test_v1_lists_in_ascending_order_with_offsets(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    first = await client.get(V1, params={"client_env": "sandbox", "limit": 2}, headers=admin)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [c["id"] for c in body["conversations"]] == [talked["pool"], talked["complaint"]]
    assert body["next_offset"] == 2 and "id" in body["descriptions"]["conversations"]
    rest = (await client.get(V1, params={"client_env": "sandbox", "offset": 2}, headers=admin)).json()
    assert [c["id"] for c in rest["conversations"]] == [talked["sms"]] and "next_offset" not in rest
    assert (await client.get(V1, headers=admin)).json()["conversations"] == []  # live by default


async def test_v1_errors(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], talked: dict[str, str]
) -> None:
    for params in ({"limit": 5001}, {"limit": 0}, {"offset": -1}, {"variant_id": "a", "variant_name": "b"}):
        assert_error(await client.get(V1, params=params, headers=admin), "CONVERSATIONS_VALIDATION_FAILED")
    other = await account_admin(client, operator, "othercorp")
    assert_error(await client.get(V1, headers=other), "ACCOUNT_NOT_FOUND")
    assert_error(await client.get("/v1/othercorp/hotel/conversations", headers=other), "PROJECT_NOT_FOUND")


async def test_handoff_state_by_id_and_shared_id(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    by_id = await client.get(HANDOFF, params={"id": talked["complaint"]}, headers=admin)
    assert by_id.status_code == 200, by_id.text
    assert by_id.json() == {"id": talked["complaint"], "shared_id": "acme-42", "data": {}}
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    shared = await client.get(HANDOFF, params={"shared_id": "acme-42", "id": "ignored"}, headers=external)
    assert shared.json()["id"] == talked["complaint"]
    assert_error(await client.get(HANDOFF, headers=admin), "CONVERSATIONS_VALIDATION_FAILED")
    assert_error(
        await client.get(HANDOFF, params={"id": "CONV-nope"}, headers=admin), "CONVERSATIONS_NOT_FOUND"
    )
    assert_error(
        await client.get(HANDOFF, params={"shared_id": "nope"}, headers=admin), "CONVERSATIONS_NOT_FOUND"
    )
    # A conversation that was never handed off has no handoff state.
    assert_error(
        await client.get(HANDOFF, params={"id": talked["pool"]}, headers=admin), "CONVERSATIONS_NOT_FOUND"
    )


async def test_concurrency_intervals(app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await seed(app, 400, window_days=1)
    url = "/v1/default/bulk/conversations/concurrency"
    params = {"start_time": "2026-05-31T00:02:00Z", "end_time": "2026-05-31T01:01:00Z"}
    response = await client.get(url, params=params, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["account_id"] == "default" and body["project_id"] == "bulk"
    times = [i["time"] for i in body["intervals"]]
    assert times[0] == "2026-05-31T00:00:00Z" and times[-1] == "2026-05-31T01:00:00Z" and len(times) == 13
    assert sum(i["max_concurrent_conversations"] for i in body["intervals"]) > 0
    sliced = (await client.get(url, params={**params, "slice_by": "variant"}, headers=admin)).json()
    assert {i["variant_name"] for i in sliced["intervals"]} <= {"London", "Paris", "Berlin", None}
    for interval in body["intervals"]:
        same_time = [s for s in sliced["intervals"] if s["time"] == interval["time"]]
        assert interval["max_concurrent_conversations"] <= sum(
            s["max_concurrent_conversations"] for s in same_time
        )
    empty = (
        await client.get(url, params={**params, "client_env": "sandbox", "language": "xx"}, headers=admin)
    ).json()
    assert all(i["max_concurrent_conversations"] == 0 for i in empty["intervals"])


async def test_concurrency_errors(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], talked: dict[str, str]
) -> None:
    now = datetime.now(UTC)
    ok = {"start_time": (now - timedelta(hours=1)).isoformat(), "end_time": now.isoformat()}
    response = await client.get(CONCURRENCY, params=ok, headers=admin)
    assert response.status_code == 200, response.text
    week = {"start_time": (now - timedelta(days=8)).isoformat(), "end_time": now.isoformat()}
    for params in (
        {},
        {"start_time": ok["start_time"]},
        week,
        {**ok, "variant_id": "a", "variant_name": "b"},
        {**ok, "slice_by": "colour"},
        {"start_time": ok["end_time"], "end_time": ok["start_time"]},
        {**ok, "client_env": "prod"},
    ):
        assert_error(
            await client.get(CONCURRENCY, params=params, headers=admin), "CONVERSATIONS_VALIDATION_FAILED"
        )
    for slice_by in ("language", "phone_number"):
        assert_error(
            await client.get(CONCURRENCY, params={**ok, "slice_by": slice_by}, headers=admin),
            "NOT_IMPLEMENTED",
        )
    other = await account_admin(client, operator, "othercorp")
    assert_error(await client.get(CONCURRENCY, params=ok, headers=other), "ACCOUNT_NOT_FOUND")
    assert_error(await client.get(HANDOFF, params={"id": "x"}, headers=other), "ACCOUNT_NOT_FOUND")

"""GET /v3/{account}/{project}/conversations: shape, parameters, filter, sort, cursor, errors."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent, create_key, key_header

from .conftest import V3, chat, seed

BULK = "/v3/default/bulk/conversations"


async def get(client: httpx.AsyncClient, headers: dict[str, str], url: str = V3, **params: Any) -> Any:
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_lists_real_conversations_with_the_spec_shape(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    body = await get(client, admin, client_env="sandbox")
    assert body["cursor"] is None and "next_offset" not in body
    by_id = {c["id"]: c for c in body["conversations"]}
    assert set(by_id) == set(talked.values())
    pool = by_id[talked["pool"]]
    required = {"id", "account_id", "project_id", "environment", "started_at", "channel", "in_progress"}
    assert required <= set(pool)
    assert pool["account_id"] == "default" and pool["project_id"] == "hotel"
    assert pool["environment"] == "sandbox" and pool["channel"] == "api"
    assert pool["in_progress"] is False and pool["num_turns"] == 2 and len(pool["turns"]) == 2
    assert pool["turns"][1]["user_input"] == "When is the swimming pool open?"
    assert pool["turns"][1]["intents"] == ["Pool hours"] and "latency" not in pool["turns"][1]
    complaint = by_id[talked["complaint"]]
    assert complaint["handoff"] is True and complaint["handoff_destination"] == "duty_manager"
    assert by_id[talked["sms"]]["channel"] == "sms" and by_id[talked["sms"]]["in_progress"] is True
    # Newest first by default.
    started = [c["started_at"] for c in body["conversations"]]
    assert started == sorted(started, reverse=True)


async def test_live_is_the_default_environment(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    assert (await get(client, admin))["conversations"] == []


async def test_spec_parameters_filter(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    async def ids(**params: Any) -> set[str]:
        body = await get(client, admin, client_env="sandbox", **params)
        return {c["id"] for c in body["conversations"]}

    assert await ids(channel="sms") == {talked["sms"]}
    assert await ids(channel=["SMS", "api"]) == set(talked.values())
    assert await ids(in_progress="false") == {talked["pool"], talked["complaint"]}
    assert await ids(in_progress="true") == {talked["sms"]}
    assert await ids(start_time="2000-01-01T00:00:00Z", end_time="2001-01-01T00:00:00Z") == set()
    assert await ids(variant_name="nothing") == set()
    latency = await get(client, admin, client_env="sandbox", include_latency="true", channel="sms")
    assert all(isinstance(t["latency"], float) for t in latency["conversations"][0]["turns"])


async def test_filter_extension_over_real_conversations(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    async def ids(expression: str) -> set[str]:
        body = await get(client, admin, client_env="sandbox", filter=expression)
        return {c["id"] for c in body["conversations"]}

    assert await ids('topic = "pool hours"') == {talked["pool"]}
    assert await ids('topic contains "PARK"') == {talked["sms"]}
    assert await ids("handoff exists") == {talked["complaint"]}
    assert await ids('handoff = true AND channel = "API"') == {talked["complaint"]}
    assert await ids("NOT handoff exists AND turn_count >= 2") == {talked["pool"], talked["sms"]}
    assert await ids('channel in ("sms", "voice") OR topic = "Complaints"') == {
        talked["sms"],
        talked["complaint"],
    }
    assert await ids(f'conversation_id = "{talked["pool"]}"') == {talked["pool"]}
    assert await ids('topic != "Pool hours" AND in_progress = false') == {talked["complaint"]}
    assert await ids("started_at >= 2000-01-01T00:00:00Z AND ended_at exists") == {
        talked["pool"],
        talked["complaint"],
    }
    assert await ids("duration >= 0 AND duration < 100000") == set(talked.values())
    assert await ids('language = "en-GB" AND caller_number exists') == set()


async def test_transcript_search_and_turn_type(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    window = {"start_time": "2000-01-01T00:00:00Z", "end_time": "2100-01-01T00:00:00Z"}

    async def ids(**params: Any) -> set[str]:
        body = await get(client, admin, client_env="sandbox", query_type="transcript", **window, **params)
        return {c["id"] for c in body["conversations"]}

    assert await ids(query="SWIMMING pool") == {talked["pool"]}
    assert await ids(query="10pm", turn_type="agent") == {talked["pool"]}
    assert await ids(query="10pm", turn_type="user") == set()
    assert await ids(query="100%_") == set()  # LIKE wildcards are literal characters


async def test_random_sample(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    body = await get(
        client,
        admin,
        client_env="sandbox",
        sample="random",
        limit=2,
        start_time="2000-01-01T00:00:00Z",
        end_time="2100-01-01T00:00:00Z",
    )
    assert len(body["conversations"]) == 2 and body["cursor"] is None
    assert {c["id"] for c in body["conversations"]} <= set(talked.values())


async def test_every_sort_form_orders_and_pages_without_gaps(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 300)
    for sort, key, reverse in [
        ("started_at", "started_at", False),
        ("-started_at", "started_at", True),
        ("duration:desc", "total_duration", True),
        ("duration:asc", "total_duration", False),
        ("conversation_id", "id", False),
        ("-conversation_id", "id", True),
    ]:
        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"sort": sort, "limit": 37, **({"cursor": cursor} if cursor else {})}
            body = await get(client, admin, BULK, client_env="sandbox", **params)
            seen += body["conversations"]
            cursor = body["cursor"]
            if cursor is None:
                break
        everything = await get(client, admin, BULK, client_env="sandbox", limit=1000)
        assert len(seen) == len(everything["conversations"]) > 0, sort
        assert len({c["id"] for c in seen}) == len(seen), sort
        values = [(c[key], c["id"]) for c in seen]
        assert values == sorted(values, reverse=reverse), sort


async def test_offset_paging_reports_next_offset(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 120)
    total = len((await get(client, admin, BULK, limit=1000))["conversations"])
    first = await get(client, admin, BULK, limit=10, sort="conversation_id")
    assert first["next_offset"] == 10 and first["cursor"]
    last = await get(client, admin, BULK, limit=10, offset=total - 5, sort="conversation_id")
    assert len(last["conversations"]) == 5 and "next_offset" not in last and last["cursor"] is None
    # The cursor wins over offset.
    by_cursor = await get(
        client, admin, BULK, limit=10, offset=50, cursor=first["cursor"], sort="conversation_id"
    )
    by_offset = await get(client, admin, BULK, limit=10, offset=10, sort="conversation_id")
    assert [c["id"] for c in by_cursor["conversations"]] == [c["id"] for c in by_offset["conversations"]]


async def test_cursor_paging_under_concurrent_writes_never_skips_or_repeats(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    before = {c["id"] for c in (await get(client, admin, client_env="sandbox", limit=1000))["conversations"]}
    for _ in range(7):
        await chat(client, admin, ["how much is parking"])
    before = {c["id"] for c in (await get(client, admin, client_env="sandbox", limit=1000))["conversations"]}
    seen: list[str] = []
    written: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "client_env": "sandbox", **({"cursor": cursor} if cursor else {})}
        page, new = await asyncio.gather(
            get(client, admin, **params), chat(client, admin, ["When is the swimming pool open?"])
        )
        written.append(new)
        seen += [c["id"] for c in page["conversations"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "a conversation was returned twice"
    assert before <= set(seen), "a conversation that existed before paging began was skipped"
    assert set(seen) <= before | set(written)


async def test_parameter_errors_name_the_field(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    window = {"start_time": "2000-01-01T00:00:00Z", "end_time": "2100-01-01T00:00:00Z"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"query_type": "transcript", "sample": "random", "query": "x", **window}, "/query/sample"),
        ({"variant_id": "a", "variant_name": "b"}, "/query/variant_name"),
        ({"query_type": "transcript", **window}, "/query/query"),
        ({"query_type": "transcript", "query": "pool"}, "/query/start_time"),
        ({"sample": "random"}, "/query/start_time"),
        ({"cursor": "not-a-cursor"}, "/query/cursor"),
        ({"cursor": "eyJ4IjoxfQ"}, "/query/cursor"),
        ({"limit": 0}, "/query/limit"),
        ({"limit": 1001}, "/query/limit"),
        ({"limit": "many"}, "/query/limit"),
        ({"offset": -1}, "/query/offset"),
        ({"client_env": "production"}, "/query/client_env"),
        ({"in_progress": "perhaps"}, "/query/in_progress"),
        ({"start_time": "yesterday"}, "/query/start_time"),
        ({"start_time": "2026-01-02T00:00:00Z", "end_time": "2026-01-01T00:00:00Z"}, "/query/end_time"),
        ({"channel": "carrier-pigeon"}, "/query/channel"),
        ({"query_type": "fuzzy", "query": "x"}, "/query/query_type"),
        ({"sample": "all"}, "/query/sample"),
        ({"turn_type": "bot"}, "/query/turn_type"),
        ({"query": "x" * 5000}, "/query/query"),
    ]
    for params, path in cases:
        error = assert_error(
            await client.get(V3, params=params, headers=admin), "CONVERSATIONS_VALIDATION_FAILED"
        )
        assert path in [e["path"] for e in error["data"]["errors"]], (params, error)


async def test_cursor_is_bound_to_its_query(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 30)
    first = await get(client, admin, BULK, limit=5, client_env="sandbox")
    other_filter = await client.get(
        BULK, params={"limit": 5, "cursor": first["cursor"], "filter": "duration > 1"}, headers=admin
    )
    assert_error(other_filter, "CONVERSATIONS_VALIDATION_FAILED")
    other_sort = await client.get(
        BULK, params={"limit": 5, "cursor": first["cursor"], "sort": "duration"}, headers=admin
    )
    assert_error(other_sort, "CONVERSATIONS_VALIDATION_FAILED")


async def test_semantic_search_is_not_implemented(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    params = {
        "query_type": "semantic",
        "query": "angry guests",
        "start_time": "2000-01-01T00:00:00Z",
        "end_time": "2100-01-01T00:00:00Z",
    }
    assert_error(await client.get(V3, params=params, headers=admin), "NOT_IMPLEMENTED")


async def test_invalid_sort(client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]) -> None:
    for sort in [
        "turns",
        "started_at:sideways",
        "--duration",
        "",
        "duration:",
        "started_at; DROP TABLE x",
        "ü",
    ]:
        error = assert_error(
            await client.get(V3, params={"sort": sort}, headers=admin),
            "GET_CONVERSATIONS_INVALID_SORT_PARAMETER",
        )
        assert error["data"]["allowed"] == ["conversation_id", "duration", "started_at"]


async def test_any_role_may_read_including_external(
    client: httpx.AsyncClient, admin: dict[str, str], talked: dict[str, str]
) -> None:
    for role in ("viewer", "editor", "external"):
        key = key_header((await create_key(client, admin, "default", role))["key"])
        body = await get(client, key, client_env="sandbox")
        assert len(body["conversations"]) == 3, role


async def test_agent_allow_list_and_tenants(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], talked: dict[str, str]
) -> None:
    other = await account_admin(client, operator, "othercorp")
    assert_error(await client.get(V3, headers=other), "ACCOUNT_NOT_FOUND")
    assert_error(await client.get("/v3/othercorp/hotel/conversations", headers=other), "PROJECT_NOT_FOUND")
    assert_error(await client.get("/v3/default/nope/conversations", headers=admin), "PROJECT_NOT_FOUND")
    await create_agent(client, admin, "default", "someone-else")
    limited = key_header(
        (await create_key(client, admin, "default", "viewer", agentIds=["someone-else"]))["key"]
    )
    assert_error(await client.get(V3, headers=limited), "USER_ACCESS_FORBIDDEN")
    assert_error(await client.get(V3), "AUTH_USER_UNAUTHORISED")

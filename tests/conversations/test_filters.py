"""The filter extension: parse errors with position and expectation, injection attempts, types."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from parley.models.conversation import Conversation
from tests.support.envelope import assert_error

from .conftest import V3, seed

BULK = "/v3/default/bulk/conversations"


async def parse_error(client: httpx.AsyncClient, admin: dict[str, str], expression: str) -> dict[str, object]:
    response = await client.get(BULK, params={"filter": expression}, headers=admin)
    error = assert_error(response, "GET_CONVERSATIONS_FILTER_PARSE_ERROR")
    data: dict[str, object] = error["data"]
    return data


async def test_syntax_errors_say_where_and_what_was_expected(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 5)
    data = await parse_error(client, admin, 'channel = "webchat" AND')
    assert data["position"] == 23 and "a field name" in data["expected"]  # type: ignore[operator]
    data = await parse_error(client, admin, '(channel = "webchat"')
    assert data["position"] == 20 and data["expected"] == [")"]
    data = await parse_error(client, admin, "channel == 1")
    assert data["position"] == 9 and "a string" in data["expected"]  # type: ignore[operator]
    data = await parse_error(client, admin, 'channel = "webchat" # comment')
    assert data["position"] == 20
    data = await parse_error(client, admin, 'channel ~ "x"')
    assert data["position"] == 8


async def test_unknown_fields_and_wrong_types(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 5)
    data = await parse_error(client, admin, 'duration > 3 AND secret = "x"')
    assert data["position"] == 17 and "topic" in data["expected"]  # type: ignore[operator]
    assert (await parse_error(client, admin, 'duration = "long"'))["expected"] == ["a number"]
    assert (await parse_error(client, admin, "channel = 3"))["expected"] == ["a string"]
    assert (await parse_error(client, admin, "handoff = 1"))["expected"] == ["true or false"]
    assert (await parse_error(client, admin, "in_progress > true"))["position"] == 14
    assert (await parse_error(client, admin, 'started_at > "last week"'))["position"] == 13
    assert (await parse_error(client, admin, "duration contains 3"))["position"] == 18
    assert (await parse_error(client, admin, 'topic > "a"'))["position"] == 8
    assert (await parse_error(client, admin, "started_at in (2026-01-01)"))["position"] == 0
    too_many = "channel in (" + ", ".join(['"a"'] * 101) + ")"
    assert (await parse_error(client, admin, too_many))["expected"] == [")"]
    assert (await parse_error(client, admin, "x" * 4001))["position"] == 4000


async def test_injection_attempts_are_plain_values(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 40)
    async with app.state.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(Conversation))
    attempts = [
        "conversation_id = \"x' OR '1'='1\"",
        'conversation_id = "x\\" OR 1=1 --"',
        "variant_name = '; DROP TABLE conversation; --'",
        'handoff_reason contains "%"',
        'handoff_reason contains "_"',
        'topic = "\\n"',
        'caller_number in ("1) OR (1=1", "\')--")',
        'language = "en-GB\\u0027 OR 1=1"',
        'flow contains "\u4e2d\u6587 \U0001f600"',
    ]
    for expression in attempts:
        response = await client.get(BULK, params={"filter": expression, "limit": 1000}, headers=admin)
        assert response.status_code == 200, (expression, response.text)
        assert response.json()["conversations"] == [], expression
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == before
    # The same field still matches what it should: the values above were compared, not executed.
    anything = await client.get(
        BULK, params={"filter": "conversation_id exists", "limit": 1000}, headers=admin
    )
    assert len(anything.json()["conversations"]) > 0


async def test_keywords_are_case_insensitive_and_quotes_nest(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 60)
    params = {"limit": 1000}
    lower = await client.get(
        BULK,
        params={**params, "filter": "duration >= 0 and not (handoff exists or in_progress = TRUE)"},
        headers=admin,
    )
    upper = await client.get(
        BULK,
        params={**params, "filter": "duration >= 0 AND NOT (handoff EXISTS OR in_progress = true)"},
        headers=admin,
    )
    assert lower.status_code == upper.status_code == 200
    rows = lower.json()["conversations"]
    assert rows == upper.json()["conversations"] and rows
    assert all(not c["handoff"] and not c["in_progress"] for c in rows)
    single = await client.get(BULK, params={**params, "filter": "variant_name = 'London'"}, headers=admin)
    assert {c["variant_name"] for c in single.json()["conversations"]} <= {"London"}


async def test_not_equal_includes_missing_values(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    await seed(app, 80)
    everything = (await client.get(BULK, params={"limit": 1000}, headers=admin)).json()["conversations"]
    others = await client.get(
        BULK, params={"limit": 1000, "filter": 'variant_name != "London"'}, headers=admin
    )
    expected = {c["id"] for c in everything if c["variant_name"] != "London"}
    assert {c["id"] for c in others.json()["conversations"]} == expected
    assert any(c["variant_name"] is None for c in others.json()["conversations"])


async def test_filter_error_on_the_spec_path_too(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    from tests.support.factories import create_agent

    await create_agent(client, admin, "default", "hotel")
    assert_error(
        await client.get(V3, params={"filter": "AND"}, headers=admin), "GET_CONVERSATIONS_FILTER_PARSE_ERROR"
    )

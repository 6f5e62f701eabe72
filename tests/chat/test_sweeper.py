"""Abandoned conversations end without a message: the sweeper times them out, end_function runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from parley.chat.deps import runtime_deps_of
from parley.chat.sweeper import ConversationSweeper
from parley.config import RuntimeSettings
from parley.kit.locks import MemoryLockStore
from parley.models.conversation import Conversation
from tests.conftest import ADMIN_KEY, make_settings, started_app
from tests.support.envelope import assert_error
from tests.support.factories import key_header

from .conftest import AGENT, build_and_deploy
from .test_chat_api import CHAT, say, start

END_FUNCTION = "def end_function(conv):\n    conv.log.info('goodbye')\n"
IDLE_SECONDS = 0.3


async def _app(database_url: str, sweep_interval: float) -> AsyncIterator[FastAPI]:
    runtime = RuntimeSettings(chat_timeout_seconds=IDLE_SECONDS, sweep_interval_seconds=sweep_interval)
    async for app in started_app(make_settings(database_url, runtime=runtime)):
        yield app


@pytest.fixture
async def idle_app(database_url: str) -> AsyncIterator[FastAPI]:
    # No background sweeping: each test sweeps when it wants to, so nothing races it.
    async for app in _app(database_url, sweep_interval=0):
        yield app


@pytest.fixture
async def idle_client(idle_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idle_app), base_url="http://t") as client:
        yield client


HEADERS = key_header(ADMIN_KEY)


async def _deploy_with_end_function(client: httpx.AsyncClient) -> None:
    await build_and_deploy(client, HEADERS)
    branch = (
        await client.post(f"/v1/agents/{AGENT}/branches", json={"branchName": "end"}, headers=HEADERS)
    ).json()["branchId"]
    base = f"/v1/agents/{AGENT}/branches/{branch}"
    response = await client.put(f"{base}/functions/end", json={"code": END_FUNCTION}, headers=HEADERS)
    assert response.status_code == 200, response.text
    response = await client.post(f"{base}/merge", json={}, headers=HEADERS)
    assert response.status_code == 200, response.text


async def _abandoned_conversation(client: httpx.AsyncClient) -> dict[str, object]:
    """A conversation on an agent with an end function, left idle past the timeout."""
    await _deploy_with_end_function(client)
    created = await start(client, HEADERS)
    await asyncio.sleep(IDLE_SECONDS + 0.1)
    return created


async def _row(app: FastAPI, conversation_id: object) -> Conversation:
    async with app.state.sessionmaker() as session:
        row = await session.scalar(select(Conversation).where(Conversation.id == str(conversation_id)))
    assert row is not None
    return row


def _sweeper(app: FastAPI, locks: MemoryLockStore | None = None) -> ConversationSweeper:
    return ConversationSweeper(
        app.state.sessionmaker, runtime_deps_of(app.state), locks or app.state.locks, interval_seconds=0
    )


async def test_an_abandoned_conversation_is_timed_out_and_its_end_function_runs(
    idle_app: FastAPI, idle_client: httpx.AsyncClient
) -> None:
    abandoned = await _abandoned_conversation(idle_client)
    fresh = await start(idle_client, HEADERS)

    assert await _sweeper(idle_app).sweep_once() == 1

    row = await _row(idle_app, abandoned["conversation_id"])
    assert row.status == "timed_out" and row.ended_at is not None
    assert [call["name"] for call in row.runtime["endFunction"]] == ["end_function"]
    assert (await _row(idle_app, fresh["conversation_id"])).status == "active"
    # A late message finds it over, as it would have without the sweep.
    assert_error(await say(idle_client, HEADERS, abandoned["conversation_id"], "hello?"), "CHAT_TIMEOUT")
    # The Conversations API shows it over, with the end function among its function calls.
    detail = await idle_client.get(
        f"/v1/agents/{AGENT}/conversations/{abandoned['conversation_id']}", headers=HEADERS
    )
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["status"] == "timed_out" and body["inProgress"] is False and body["finishedAt"]
    # The fresh one ends too, by close (or by its own timeout, on a machine slow enough for it to
    # have gone idle meanwhile), so that the second sweep has nothing of its own to find.
    await idle_client.put(
        f"{CHAT}/close", json={"conversation_id": fresh["conversation_id"]}, headers=HEADERS
    )
    assert (await _row(idle_app, fresh["conversation_id"])).status in ("closed", "timed_out")
    # Nothing left to do: a second sweep ends nothing and runs no function again.
    assert await _sweeper(idle_app).sweep_once() == 0
    assert len((await _row(idle_app, abandoned["conversation_id"])).runtime["endFunction"]) == 1


async def test_sweepers_of_two_processes_end_a_conversation_once(
    idle_app: FastAPI, idle_client: httpx.AsyncClient
) -> None:
    await _deploy_with_end_function(idle_client)
    created = [await start(idle_client, HEADERS) for _ in range(5)]
    await asyncio.sleep(IDLE_SECONDS + 0.1)
    # Separate in-memory lock stores: two processes without Redis, where only the claim protects.
    first, second = _sweeper(idle_app, MemoryLockStore()), _sweeper(idle_app, MemoryLockStore())
    ended = await asyncio.gather(first.sweep_once(), second.sweep_once())
    assert sum(ended) == 5
    for conversation in created:
        row = await _row(idle_app, conversation["conversation_id"])
        assert row.status == "timed_out" and len(row.runtime["endFunction"]) == 1


async def test_a_conversation_being_talked_to_is_left_for_the_next_sweep(
    idle_app: FastAPI, idle_client: httpx.AsyncClient
) -> None:
    await build_and_deploy(idle_client, HEADERS)
    created = await start(idle_client, HEADERS)
    await asyncio.sleep(IDLE_SECONDS + 0.1)
    async with idle_app.state.locks.lock(f"conversation:{created['conversation_id']}"):
        assert await _sweeper(idle_app).sweep_once() == 0
    assert (await _row(idle_app, created["conversation_id"])).status == "active"
    assert await _sweeper(idle_app).sweep_once() == 1


async def test_a_late_message_and_a_sweep_end_it_once(
    idle_app: FastAPI, idle_client: httpx.AsyncClient
) -> None:
    created = await _abandoned_conversation(idle_client)
    # The message's process and the sweeper's do not share a lock store here either.
    late, swept = await asyncio.gather(
        say(idle_client, HEADERS, created["conversation_id"], "still there?"),
        _sweeper(idle_app, MemoryLockStore()).sweep_once(),
    )
    assert_error(late, "CHAT_TIMEOUT")
    assert swept in (0, 1)
    row = await _row(idle_app, created["conversation_id"])
    assert row.status == "timed_out" and len(row.runtime["endFunction"]) == 1


async def test_the_app_sweeps_in_the_background(database_url: str) -> None:
    async for app in _app(database_url, sweep_interval=0.1):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            await build_and_deploy(client, HEADERS)
            created = await start(client, HEADERS)
            # The database is the only place the outcome shows: poll it, for at most 5 s.
            for _ in range(100):
                if (await _row(app, created["conversation_id"])).status != "active":
                    break
                await asyncio.sleep(0.05)
            assert (await _row(app, created["conversation_id"])).status == "timed_out"

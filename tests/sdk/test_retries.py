"""Retries: rate limits and maintenance against the real app, network failures at the transport."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI

from parley.config import RateLimitSettings, Settings
from parley.kit.maintenance import disable_maintenance, enable_maintenance
from parley.sdk import (
    AsyncClient,
    Client,
    ParleyConnectionError,
    ParleyTimeoutError,
    RateLimitExceededError,
    ServiceUnavailableError,
)
from tests.conftest import ADMIN_KEY, make_settings
from tests.sdk.support import ASGI_BASE_URL, Connector, connected, settle

KINDS = ["sync", "async"]


def rate_limited(database_url: str, per_second: float) -> Settings:
    return make_settings(database_url, rate_limit=RateLimitSettings(per_second=per_second, burst=1))


# --- 429: every method, after Retry-After ------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_429_waits_retry_after_then_raises_after_max_retries(kind: str, database_url: str) -> None:
    # One token, refilled every 2 s: the server answers Retry-After: 2 until then.
    async with connected(kind, rate_limited(database_url, per_second=0.5)) as connect:
        sleeps: list[float] = []
        client = connect(sleeps=sleeps, max_retries=2)
        await settle(client.agents.list("default"))
        with pytest.raises(RateLimitExceededError) as caught:
            await settle(client.agents.list("default"))
    assert sleeps == [2.0, 2.0]
    error = caught.value
    assert (error.status, error.code, error.id) == (429, "RATE_LIMIT_EXCEEDED", 9)
    assert error.headers["Retry-After"] == "2"


@pytest.mark.parametrize("kind", KINDS)
async def test_429_retry_succeeds_once_the_bucket_refills(kind: str, database_url: str) -> None:
    # The token comes back after 1 s, so the server says Retry-After: 1; the hook records that and
    # really waits 1.05 s, enough for the retry to pass. The second call must come within that
    # second of the first or no 429 happens: a faster refill (500 ms) was missed once on a busy
    # machine, where the first request alone took 620 ms.
    async with connected(kind, rate_limited(database_url, per_second=1)) as connect:
        sleeps: list[float] = []
        client = connect(sleeps=sleeps, pause=1.05)
        await settle(client.agents.list("default"))
        # A POST too: the limiter refuses before the handler runs, so resending creates it once.
        user = await settle(client.users.create("default", email="bo@example.test", name="Bo", role="viewer"))
        assert sleeps == [1.0]
        users = (await settle(client.users.list("default")))["users"]
    assert [u["id"] for u in users if u["email"] == "bo@example.test"] == [user["id"]]


async def test_retry_after_is_capped_by_max_retry_wait(database_url: str) -> None:
    async with connected("async", rate_limited(database_url, per_second=0.01)) as connect:
        sleeps: list[float] = []
        client = connect(sleeps=sleeps, max_retries=1, max_retry_wait=0.25)
        await settle(client.agents.list("default"))
        with pytest.raises(RateLimitExceededError) as caught:
            await settle(client.agents.list("default"))
    assert caught.value.headers["Retry-After"] == "100"
    assert sleeps == [0.25]


async def test_max_retries_zero_raises_the_first_429(database_url: str) -> None:
    async with connected("async", rate_limited(database_url, per_second=0.5)) as connect:
        sleeps: list[float] = []
        client = connect(sleeps=sleeps, max_retries=0)
        await settle(client.agents.list("default"))
        with pytest.raises(RateLimitExceededError):
            await settle(client.agents.list("default"))
    assert sleeps == []


# --- 503 with Retry-After (maintenance mode) ------------------------------------------------------


async def _start_maintenance(app: FastAPI, retry_after_seconds: int) -> None:
    async with app.state.sessionmaker() as session:
        await enable_maintenance(session, "Upgrading.", retry_after_seconds)
        await session.commit()


async def test_maintenance_503_is_retried_after_retry_after(app: FastAPI) -> None:
    await _start_maintenance(app, 7)
    sleeps: list[float] = []

    async def sleep_until_maintenance_ends(seconds: float) -> None:
        sleeps.append(seconds)
        async with app.state.sessionmaker() as session:
            await disable_maintenance(session)
            await session.commit()

    transport = httpx.ASGITransport(app=app)
    async with AsyncClient(
        ASGI_BASE_URL, ADMIN_KEY, transport=transport, sleep=sleep_until_maintenance_ends
    ) as client:
        # A POST: maintenance refuses before any handler runs, so it is safe to send again.
        agent = await client.agents.create("default", name="Hotel", greeting="Hi", agent_id="hotel")
    assert agent["agentId"] == "hotel"
    assert sleeps == [7.0]


async def test_maintenance_503_raises_when_it_outlasts_the_retries(app: FastAPI) -> None:
    await _start_maintenance(app, 7)
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    transport = httpx.ASGITransport(app=app)
    async with AsyncClient(ASGI_BASE_URL, ADMIN_KEY, transport=transport, sleep=record) as client:
        with pytest.raises(ServiceUnavailableError) as caught:
            await client.agents.list("default")
    assert sleeps == [7.0, 7.0]
    assert (caught.value.status, caught.value.id) == (503, 13)
    assert caught.value.message == "Upgrading."


# --- Network failures: only methods that are safe to repeat ---------------------------------------


def failing_then_forwarding(
    connect: Connector, error: type[httpx.TransportError], failures: int | None
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """The network fails ``failures`` times (None: always), then requests reach the real app."""
    seen: list[httpx.Request] = []
    real = connect.transport

    def fail_or_pass(request: httpx.Request) -> None:
        seen.append(request)
        if failures is None or len(seen) <= failures:
            raise error("simulated network failure", request=request)

    if isinstance(real, httpx.AsyncBaseTransport):

        async def forward_async(request: httpx.Request) -> httpx.Response:
            fail_or_pass(request)
            return await real.handle_async_request(request)

        return httpx.MockTransport(forward_async), seen

    def forward(request: httpx.Request) -> httpx.Response:
        fail_or_pass(request)
        return real.handle_request(request)

    return httpx.MockTransport(forward), seen


@pytest.mark.parametrize("kind", KINDS)
async def test_get_is_retried_with_backoff_after_a_connection_error(kind: str, settings: Settings) -> None:
    async with connected(kind, settings) as connect:
        transport, seen = failing_then_forwarding(connect, httpx.ConnectError, failures=1)
        sleeps: list[float] = []
        agents = await settle(connect(sleeps=sleeps, transport=transport).agents.list("default"))
    assert agents == []
    assert len(seen) == 2
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ReadError, httpx.ReadTimeout])
async def test_post_is_not_retried_after_a_network_failure(
    kind: str, error: type[httpx.TransportError], settings: Settings
) -> None:
    async with connected(kind, settings) as connect:
        transport, seen = failing_then_forwarding(connect, error, failures=1)
        sleeps: list[float] = []
        client = connect(sleeps=sleeps, transport=transport)
        expected = ParleyTimeoutError if issubclass(error, httpx.TimeoutException) else ParleyConnectionError
        with pytest.raises(expected) as caught:
            await settle(client.agents.create("default", name="Hotel", greeting="Hi"))
        assert await settle(connect().agents.list("default")) == []
    assert len(seen) == 1
    assert sleeps == []
    assert isinstance(caught.value.__cause__, error)
    assert "POST" in str(caught.value)


@pytest.mark.parametrize("kind", KINDS)
async def test_timeouts_exhaust_the_retries_of_a_get(kind: str, settings: Settings) -> None:
    async with connected(kind, settings) as connect:
        transport, seen = failing_then_forwarding(connect, httpx.ReadTimeout, failures=None)
        sleeps: list[float] = []
        with pytest.raises(ParleyTimeoutError):
            await settle(connect(sleeps=sleeps, transport=transport).agents.list("default"))
    assert len(seen) == 3
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


async def test_delete_is_retried_after_a_connection_error(settings: Settings) -> None:
    async with connected("async", settings) as connect:
        await settle(connect().agents.create("default", name="Hotel", greeting="Hi", agent_id="hotel"))
        transport, seen = failing_then_forwarding(connect, httpx.ConnectError, failures=2)
        await settle(connect(transport=transport).agents.delete("hotel"))
        assert await settle(connect().agents.list("default")) == []
    assert [r.method for r in seen] == ["DELETE"] * 3


def _refusing_url() -> str:
    """A loopback URL that nothing listens on: a real connection failure, not a simulated one."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_refused_connection_is_retried_then_raised_sync() -> None:
    sleeps: list[float] = []
    with Client(_refusing_url(), ADMIN_KEY, sleep=sleeps.append) as client:
        with pytest.raises(ParleyConnectionError, match="GET"):
            client.agents.list("default")
        with pytest.raises(ParleyConnectionError, match="POST"):
            client.agents.create("default", name="Hotel", greeting="Hi")
    assert len(sleeps) == 2  # both from the GET


async def test_refused_connection_is_retried_then_raised_async() -> None:
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async with AsyncClient(_refusing_url(), ADMIN_KEY, sleep=record) as client:
        with pytest.raises(ParleyConnectionError, match="GET"):
            await client.agents.list("default")
        with pytest.raises(ParleyConnectionError, match="POST"):
            await client.agents.create("default", name="Hotel", greeting="Hi")
    assert len(sleeps) == 2

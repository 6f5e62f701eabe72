"""Per-key token buckets: headers, 429 with Retry-After, one budget shared by several processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from parley.config import RateLimitSettings
from tests.conftest import ADMIN_KEY, BASE_DATABASE_URL, OPERATOR_KEY, make_settings, started_app
from tests.support.databases import drop_database, is_postgres, scratch_database
from tests.support.envelope import assert_error
from tests.support.factories import create_key, key_header
from tests.support.servers import running_servers

REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def tight_app(database_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(database_url, rate_limit=RateLimitSettings(per_second=0.01, burst=3))
    async for app in started_app(settings):
        yield app


async def test_headers_on_authenticated_responses(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.get("/v1/accounts/default/agents", headers=admin)
    assert response.headers["ratelimit-limit"] == "10000"
    assert int(response.headers["ratelimit-remaining"]) == 9999
    assert int(response.headers["ratelimit-reset"]) >= 0
    assert "ratelimit-limit" not in (await client.get("/health")).headers


async def test_bucket_empties_into_429(tight_app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tight_app), base_url="http://t") as c:
        remaining = []
        for _ in range(3):
            response = await c.get("/v1/accounts/default/agents", headers={"x-api-key": ADMIN_KEY})
            assert response.status_code == 200
            remaining.append(int(response.headers["ratelimit-remaining"]))
        assert remaining == [2, 1, 0]
        limited = await c.get("/v1/accounts/default/agents", headers={"x-api-key": ADMIN_KEY})
        assert_error(limited, "RATE_LIMIT_EXCEEDED")
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["ratelimit-remaining"] == "0"
        # Buckets are per key: another key still has its own budget.
        other = await c.get("/v1/accounts", headers={"x-api-key": OPERATOR_KEY})
        assert other.status_code == 200


async def test_key_creation_gives_a_fresh_bucket(tight_app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tight_app), base_url="http://t") as c:
        created = await create_key(c, {"x-api-key": ADMIN_KEY}, "default", "viewer")
        response = await c.get("/v1/accounts/default/agents", headers=key_header(created["key"]))
        assert response.headers["ratelimit-remaining"] == "2"


async def test_two_server_processes_share_one_budget(tmp_path: Path) -> None:
    """Two real `parley serve` processes on one database and one Redis: one bucket per key."""
    database_url = await scratch_database(BASE_DATABASE_URL, tmp_path, "twoproc")
    env = {
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_REDIS_URL": REDIS_URL,
        "PARLEY_REDIS_KEY_PREFIX": f"parley-test-{uuid.uuid4().hex[:8]}:",
        "PARLEY_RATE_LIMIT_PER_SECOND": "0.01",
        "PARLEY_RATE_LIMIT_BURST": "6",
        "PARLEY_BOOTSTRAP_API_KEY": ADMIN_KEY,
        "PARLEY_BOOTSTRAP_OPERATOR_KEY": OPERATOR_KEY,
    }
    try:
        # PostgreSQL: start both at once, so the advisory lock must serialise their migrations.
        with running_servers(env, 2, concurrent_start=is_postgres(database_url)) as servers:
            statuses = []
            async with httpx.AsyncClient(timeout=10) as c:
                for i in range(12):
                    server = servers[i % 2]
                    response = await c.get(
                        f"{server.url}/v1/accounts/default/agents", headers=key_header(ADMIN_KEY)
                    )
                    statuses.append(response.status_code)
                    if response.status_code == 429:
                        assert_error(response, "RATE_LIMIT_EXCEEDED")
            assert statuses.count(200) == 6, statuses
            assert statuses.count(429) == 6, statuses
    finally:
        await drop_database(database_url, BASE_DATABASE_URL)

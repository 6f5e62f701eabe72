"""One active deployment per environment, always: concurrent requests across two server processes."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx

from tests.conftest import ADMIN_KEY, BASE_DATABASE_URL, OPERATOR_KEY
from tests.support.databases import drop_database, is_postgres, scratch_database
from tests.support.envelope import assert_error
from tests.support.servers import running_servers

HEADERS = {"x-api-key": ADMIN_KEY}


async def test_concurrent_lifecycle_requests_keep_one_active_deployment(tmp_path: Path) -> None:
    database_url = await scratch_database(BASE_DATABASE_URL, tmp_path, "deployrace")
    env = {
        "PARLEY_DATABASE_URL": database_url,
        "PARLEY_BOOTSTRAP_API_KEY": ADMIN_KEY,
        "PARLEY_BOOTSTRAP_OPERATOR_KEY": OPERATOR_KEY,
        "PARLEY_REDIS_KEY_PREFIX": f"parley-test-{uuid.uuid4().hex[:8]}:",
    }
    try:
        with running_servers(env, 2, concurrent_start=is_postgres(database_url)) as servers:
            urls = [s.url for s in servers]
            async with httpx.AsyncClient(timeout=30) as c:
                created = await c.post(
                    f"{urls[0]}/v1/accounts/default/agents",
                    json={"name": "Race", "agentId": "race", "responseSettings": {"greeting": "Hi"}},
                    headers=HEADERS,
                )
                assert created.status_code == 200, created.text
                base = "/v1/agents/race/deployments"

                publishes = await asyncio.gather(
                    *[c.post(f"{urls[i % 2]}{base}/publish", json={}, headers=HEADERS) for i in range(8)]
                )
                assert sorted(r.status_code for r in publishes) == [201] + [409] * 7, [
                    r.text for r in publishes
                ]
                for response in publishes:
                    if response.status_code == 409:
                        assert_error(response, "DEPLOYMENTS_ALREADY_PUBLISHED")
                sandbox = next(r for r in publishes if r.status_code == 201).json()["deployment"]

                promotes = await asyncio.gather(
                    *[
                        c.post(f"{urls[i % 2]}{base}/{sandbox['id']}/promote", headers=HEADERS)
                        for i in range(8)
                    ]
                )
                assert all(r.status_code == 200 for r in promotes), [r.text for r in promotes]
                created_ids = {r.json()["deployment"]["id"] for r in promotes}
                assert len(created_ids) == 1
                assert sum("notice" in r.json() for r in promotes) == 7

                mixed = await asyncio.gather(
                    *[
                        c.post(f"{urls[i % 2]}{base}/{sandbox['id']}/rollback", headers=HEADERS)
                        if i % 2
                        else c.post(f"{urls[i % 2]}{base}/{sandbox['id']}/promote", headers=HEADERS)
                        for i in range(8)
                    ]
                )
                assert all(r.status_code == 200 for r in mixed), [r.text for r in mixed]

                history = await c.get(
                    f"{urls[1]}{base}", params={"environment": "pre-release"}, headers=HEADERS
                )
                assert len(history.json()["deployments"]) == 1
                active = (await c.get(f"{urls[0]}{base}/active", headers=HEADERS)).json()["activeDeployments"]
                assert active["sandbox"]["id"] == sandbox["id"]
                assert active["pre-release"]["id"] in created_ids
                assert active["live"] is None
    finally:
        await drop_database(database_url, BASE_DATABASE_URL)

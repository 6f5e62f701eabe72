"""Who may touch telephony: tenants, roles, allow-lists; and what an agent's deletion takes along."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from parley.models import Connector, PhoneNumber, RealTimeConfig
from parley.telephony.service import connector_for_token
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent, create_key, key_header
from tests.telephony.support import connectors_path, create_connector, import_numbers, numbers_path

NUMBER = "%2B442079460958"


def every_call(agent: str, connector_id: str) -> list[tuple[str, str, Any, bool]]:
    """(method, path, body, is_write) for every telephony endpoint."""
    connectors, numbers = connectors_path(agent), numbers_path(agent)
    one = f"{connectors}/{connector_id}"
    return [
        ("GET", connectors, None, False),
        ("POST", connectors, {"name": "x", "clientEnv": "live"}, True),
        ("POST", f"{connectors}/batch", {"connectorIds": [connector_id]}, False),
        ("PATCH", f"{connectors}/batch", {"updates": [{"connectorId": connector_id, "name": "x"}]}, True),
        ("POST", f"{connectors}/lookup", {"phoneNumber": "+442079460958"}, False),
        ("GET", one, None, False),
        ("PATCH", one, {"name": "stolen"}, True),
        ("DELETE", one, None, True),
        ("POST", f"{one}/rotate-token", None, True),
        ("GET", numbers, None, False),
        ("POST", numbers, {"phoneNumbers": ["+14155552671"]}, True),
        ("DELETE", numbers, {"phoneNumbers": ["+442079460958"]}, True),
        ("POST", f"{numbers}/batch", {"phoneNumbers": ["+442079460958"]}, False),
        ("GET", f"{numbers}/{NUMBER}", None, False),
        ("POST", f"{numbers}/%2B14155552671", None, True),
        ("DELETE", f"{numbers}/{NUMBER}", None, True),
        ("PATCH", f"{numbers}/{NUMBER}", {"connectorId": connector_id}, True),
    ]


async def snapshot(client: httpx.AsyncClient, headers: dict[str, str], agent: str) -> tuple[Any, Any]:
    connectors = (await client.get(connectors_path(agent), headers=headers)).json()
    numbers = (await client.get(numbers_path(agent), headers=headers)).json()
    return connectors, numbers


@pytest.fixture
async def line(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> dict[str, Any]:
    created = await create_connector(client, admin)
    await import_numbers(client, admin, ["+442079460958"])
    return created


async def test_other_tenants_see_nothing(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    operator: dict[str, str],
    agent: str,
    line: dict[str, Any],
) -> None:
    before = await snapshot(client, admin, agent)
    intruder = await account_admin(client, operator, "intruder")
    for target in (agent, "no-such-agent", "%00"):
        for method, path, body, _ in every_call(target, line["connectorId"]):
            response = await client.request(method, path, json=body, headers=intruder)
            assert_error(response, "PROJECT_NOT_FOUND")
    assert await snapshot(client, admin, agent) == before


async def test_viewers_read_but_do_not_write(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, line: dict[str, Any]
) -> None:
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    before = await snapshot(client, admin, agent)
    for method, path, body, write in every_call(agent, line["connectorId"]):
        response = await client.request(method, path, json=body, headers=viewer)
        if write:
            assert_error(response, "USER_ACCESS_FORBIDDEN")
        else:
            assert response.status_code == 200, (method, path, response.text)
            assert "token" not in response.text.replace("tokenHint", "")
    assert await snapshot(client, admin, agent) == before


async def test_external_principals_are_refused_everything(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, line: dict[str, Any]
) -> None:
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    for method, path, body, _ in every_call(agent, line["connectorId"]):
        assert_error(
            await client.request(method, path, json=body, headers=external), "EXTERNAL_USER_FORBIDDEN"
        )


async def test_keys_limited_to_other_agents_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, line: dict[str, Any]
) -> None:
    await create_agent(client, admin, "default", "spa")
    limited = key_header((await create_key(client, admin, "default", "editor", agentIds=["spa"]))["key"])
    for method, path, body, _ in every_call(agent, line["connectorId"]):
        assert_error(await client.request(method, path, json=body, headers=limited), "USER_ACCESS_FORBIDDEN")


async def test_editors_write(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    editor = key_header((await create_key(client, admin, "default", "editor"))["key"])
    created = await create_connector(client, editor)
    assert await import_numbers(client, editor, ["+442079460958"]) == ["+442079460958"]
    response = await client.post(f"{connectors_path()}/{created['connectorId']}/rotate-token", headers=editor)
    assert response.status_code == 200


async def test_deleting_the_agent_takes_its_telephony_and_configs(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, line: dict[str, Any], app: FastAPI
) -> None:
    rtc = f"/v1/agents/{agent}/real-time-configs/live/variables"
    assert (await client.patch(rtc, json={"variables": {"a": 1}}, headers=admin)).status_code == 200
    await create_agent(client, admin, "default", "spa")
    await import_numbers(client, admin, ["+14155552671"], agent="spa")

    assert (await client.delete(f"/v1/agents/{agent}", headers=admin)).status_code == 204

    async with app.state.sessionmaker() as session:
        for model in (Connector, PhoneNumber, RealTimeConfig):
            rows = await session.scalar(
                select(func.count()).select_from(model).where(model.agent_id == agent)
            )
            assert rows == 0, model
        assert await connector_for_token(session, agent, line["token"]) is None
        # The other agent's data is untouched.
        spa = await session.scalar(
            select(func.count()).select_from(PhoneNumber).where(PhoneNumber.agent_id == "spa")
        )
        assert spa == 1
    # The number is free again, and a new agent with the old id starts empty.
    assert await import_numbers(client, admin, ["+442079460958"], agent="spa") == ["+442079460958"]
    await create_agent(client, admin, "default", agent)
    assert (await client.get(connectors_path(), headers=admin)).json() == {"connectors": []}
    page = (await client.get(f"/v1/agents/{agent}/real-time-configs/live", headers=admin)).json()
    assert page == {"clientEnv": "live", "variables": {}, "schema": {}}

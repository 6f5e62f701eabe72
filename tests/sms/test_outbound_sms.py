"""POST /v1/outbound-sms: PolyAI's headers and body, a connector's number as the sender."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sms.support import AGENT_LINE, GUEST, connector_with_number, inbound, messages
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent, create_key, key_header

OUTBOUND = "/v1/outbound-sms"


def headers(key: dict[str, str], connector_id: str) -> dict[str, str]:
    return {"X-PolyAi-Auth-Token": key["x-api-key"], "X-TOKEN-ID": connector_id}


@pytest.fixture
async def line(client: httpx.AsyncClient, admin: dict[str, str], demo: str) -> dict[str, Any]:
    return await connector_with_number(client, admin)


async def send(client: httpx.AsyncClient, sent_headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.post(
        OUTBOUND, json={"user_number": GUEST, "message": "Hello!", **body}, headers=sent_headers
    )


async def test_sends_from_the_connectors_number(
    client: httpx.AsyncClient, admin: dict[str, str], line: dict[str, Any]
) -> None:
    response = await send(
        client, headers(admin, line["connectorId"]), message="Your room is ready 🛎️ — ünïcødé"
    )
    assert response.status_code == 202 and response.content == b""
    [message] = await messages(client, admin)
    assert (message["status"], message["to"], message["from"]) == ("sent", GUEST, AGENT_LINE)
    assert message["body"] == "Your room is ready 🛎️ — ünïcødé"
    assert (message["source"], message["connectorId"], message["environment"]) == (
        "outbound_api",
        line["connectorId"],
        "live",
    )
    # Named explicitly, in any E.164 spelling; and parley's own x-api-key header works as well.
    again = await send(
        client,
        {**admin, "X-TOKEN-ID": line["connectorId"]},
        agent_number="+44 20 7946 0999",
        user_number="+447911 123456",
    )
    assert again.status_code == 202, again.text
    assert len(await messages(client, admin, to=GUEST)) == 2


async def test_number_and_connector_errors(
    client: httpx.AsyncClient, admin: dict[str, str], line: dict[str, Any], demo: str
) -> None:
    sent_headers = headers(admin, line["connectorId"])
    assert_error(await send(client, sent_headers, agent_number="+442079460958"), "PHONE_NUMBERS_NOT_FOUND")
    for bad in ("07911123456", "+1", "tel:+447911123456", "+44 7911 123456 ext 2", "' OR 1=1 --"):
        error = assert_error(
            await send(client, sent_headers, user_number=bad), "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"
        )
        assert error["data"]["errors"][0]["path"] == "/body/user_number"
    assert_error(
        await send(client, sent_headers, agent_number="nope"), "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"
    )
    assert_error(await send(client, sent_headers, user_number="rcs:+447911123456"), "NOT_IMPLEMENTED")
    assert_error(await send(client, headers(admin, "CONNECTOR-NOPE1234")), "CONNECTORS_NOT_FOUND")
    assert_error(await send(client, headers(admin, "x" * 200)), "CONNECTORS_NOT_FOUND")
    bare = await client.post(
        f"/v1/agents/{demo}/telephony/connectors",
        json={"name": "No numbers", "clientEnv": "live"},
        headers=admin,
    )
    assert_error(await send(client, headers(admin, bare.json()["connectorId"])), "PHONE_NUMBERS_NOT_FOUND")
    assert await messages(client, admin) == []


async def test_credentials_roles_and_tenants(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], line: dict[str, Any]
) -> None:
    connector_id = line["connectorId"]
    assert_error(await send(client, {"X-TOKEN-ID": connector_id}), "AUTH_USER_UNAUTHORISED")
    assert_error(
        await send(client, {"X-PolyAi-Auth-Token": "pk_wrong", "X-TOKEN-ID": connector_id}),
        "AUTH_USER_UNAUTHORISED",
    )
    viewer = key_header((await create_key(client, admin, "default", "viewer"))["key"])
    assert_error(await send(client, headers(viewer, connector_id)), "USER_ACCESS_FORBIDDEN")
    external = key_header((await create_key(client, admin, "default", "external"))["key"])
    assert_error(await send(client, headers(external, connector_id)), "EXTERNAL_USER_FORBIDDEN")
    stranger = await account_admin(client, operator, "strangers")
    # Another tenant's connector looks exactly like one that does not exist.
    assert_error(await send(client, headers(stranger, connector_id)), "CONNECTORS_NOT_FOUND")
    await create_agent(client, stranger, "strangers", "stranger-agent")
    own = await connector_with_number(client, stranger, "+442079460888", agent="stranger-agent")
    assert_error(await send(client, headers(admin, own["connectorId"])), "CONNECTORS_NOT_FOUND")
    assert await messages(client, admin) == []


async def test_bad_bodies_record_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], line: dict[str, Any]
) -> None:
    sent_headers = headers(admin, line["connectorId"])
    for body in (
        {},
        {"user_number": GUEST},
        {"message": "hi"},
        {"user_number": 447911123456, "message": "hi"},
        {"user_number": GUEST, "message": ["hi"]},
        {"user_number": GUEST, "message": ""},
        {"user_number": GUEST, "message": "x" * 1601},
        {"user_number": GUEST, "message": "hi", "userNumber": GUEST},
        {"user_number": GUEST, "message": "hi\u0000"},
    ):
        assert_error(await client.post(OUTBOUND, json=body, headers=sent_headers), "SCHEMA_VALIDATION_FAILED")
    assert_error(
        await client.post(
            OUTBOUND, content=b"[", headers={**sent_headers, "content-type": "application/json"}
        ),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert_error(
        await client.post(
            OUTBOUND,
            content=b"user_number=1",
            headers={**sent_headers, "content-type": "application/x-www-form-urlencoded"},
        ),
        "UNSUPPORTED_MEDIA_TYPE",
    )
    missing_connector = await client.post(
        OUTBOUND,
        json={"user_number": GUEST, "message": "hi"},
        headers={"X-PolyAi-Auth-Token": admin["x-api-key"]},
    )
    error = assert_error(missing_connector, "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"] == "/header/X-TOKEN-ID"
    assert await messages(client, admin) == []


async def test_an_opted_out_number_is_refused_and_the_attempt_kept(
    client: httpx.AsyncClient, admin: dict[str, str], line: dict[str, Any]
) -> None:
    await inbound(client, admin, "STOP")
    error = assert_error(await send(client, headers(admin, line["connectorId"])), "UNPROCESSABLE_ENTITY")
    assert error["data"]["status"] == "blocked_opt_out"
    [message] = await messages(client, admin, direction="outbound")
    assert message["id"] == error["data"]["messageId"] and message["status"] == "blocked_opt_out"

"""Handoffs: lifecycle, destinations per method, the single default, SIP headers, access."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.envelope import assert_error
from tests.variants.scaffold import Call, check_access

DESK = "+14155552671"


async def create_handoff(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, name: str, **fields: Any
) -> dict[str, Any]:
    body = {"name": name, "method": "refer", "destination": DESK, **fields}
    response = await client.post(f"{base}/handoffs", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def handoffs(client: httpx.AsyncClient, headers: dict[str, str], base: str) -> list[dict[str, Any]]:
    response = await client.get(f"{base}/handoffs", headers=headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"handoffs"}
    listed: list[dict[str, Any]] = response.json()["handoffs"]
    return listed


def defaults(listed: list[dict[str, Any]]) -> list[str]:
    return [h["name"] for h in listed if h["isDefault"]]


async def test_lifecycle(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    created = await create_handoff(
        client,
        admin,
        base,
        "front_desk",
        description=" The front desk ",
        reason="  caller asked for a human ",
        sipHeaders=[{"key": "X-Reason", "value": "human requested"}],
    )
    assert created == {
        "id": created["id"],
        "name": "front_desk",
        "description": "The front desk",
        "method": "refer",
        "destination": DESK,
        "reason": "caller asked for a human",
        "isDefault": True,
        "sipHeaders": [{"key": "X-Reason", "value": "human requested"}],
        "outboundEndpoint": None,
        "outboundEncryption": None,
    }
    assert created["id"].startswith("HANDOFF-")
    assert (await client.get(f"{base}/handoffs/{created['id']}", headers=admin)).json() == created

    url = f"{base}/handoffs/{created['id']}"
    response = await client.patch(
        url, json={"method": "invite", "destination": "sip:desk@pbx.example.com"}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert (
        response.json()["destination"] == "sip:desk@pbx.example.com" and response.json()["method"] == "invite"
    )
    response = await client.patch(
        url, json={"method": "bye", "destination": None, "sipHeaders": []}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["destination"] is None and response.json()["sipHeaders"] == []

    assert (await client.delete(url, headers=admin)).status_code == 204
    assert await handoffs(client, admin, base) == []
    assert_error(await client.get(url, headers=admin), "HANDOFF_NOT_FOUND")


@pytest.mark.parametrize(
    "destination",
    ["+442079460958", "+4915112345678", "sip:desk@pbx.example.com", "sips:agent@10.0.0.1:5061;transport=tls"],
)
async def test_valid_destinations(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, destination: str
) -> None:
    created = await create_handoff(client, admin, base, "desk", method="invite", destination=destination)
    assert created["destination"] == destination


@pytest.mark.parametrize(
    ("destination", "code"),
    [
        ("+44 20 7946 0958", "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"),
        ("02079460958", "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"),
        ("+15555550123", "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"),
        ("+1234", "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"),
        ("call me", "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"),
        ("'; DROP TABLE handoff; --", "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"),
        ("sip:", "SCHEMA_VALIDATION_FAILED"),
        ("sip:desk@pbx example.com", "SCHEMA_VALIDATION_FAILED"),
        ("sip:desk@pbx.example.com\r\nX-Injected: 1", "SCHEMA_VALIDATION_FAILED"),
        ("", "SCHEMA_VALIDATION_FAILED"),
        (None, "SCHEMA_VALIDATION_FAILED"),
    ],
)
async def test_invalid_destinations(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, destination: str | None, code: str
) -> None:
    body = {"name": "desk", "method": "refer", "destination": destination}
    error = assert_error(await client.post(f"{base}/handoffs", json=body, headers=admin), code)
    assert error["data"]["errors"][0]["path"] == "/body/destination"
    assert await handoffs(client, admin, base) == []


async def test_phone_number_error_suggests_the_e164_form(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    body = {"name": "desk", "method": "refer", "destination": "+44 20 7946 0958"}
    error = assert_error(
        await client.post(f"{base}/handoffs", json=body, headers=admin),
        "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT",
    )
    assert error["data"]["errors"][0]["suggestion"] == "+442079460958"
    assert "+442079460958" in error["message"]


async def test_bye_has_no_destination(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    created = await create_handoff(client, admin, base, "hang_up", method="bye", destination=None)
    assert created["destination"] is None
    body = {"name": "other", "method": "bye", "destination": DESK}
    assert_error(await client.post(f"{base}/handoffs", json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    url = f"{base}/handoffs/{created['id']}"
    assert_error(
        await client.patch(url, json={"destination": DESK}, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    # Turning a bye into a refer needs a destination in the same request.
    assert_error(await client.patch(url, json={"method": "refer"}, headers=admin), "SCHEMA_VALIDATION_FAILED")
    response = await client.patch(url, json={"method": "refer", "destination": DESK}, headers=admin)
    assert response.status_code == 200 and response.json()["destination"] == DESK
    # And the other way round, the old destination must be cleared explicitly.
    assert_error(await client.patch(url, json={"method": "bye"}, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert (await handoffs(client, admin, base))[0]["method"] == "refer"


async def test_an_invite_names_its_outbound_endpoint_and_encryption(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    created = await create_handoff(
        client,
        admin,
        base,
        "agents",
        method="invite",
        destination="sip:queue@pbx.example.com",
        outboundEndpoint="sip:trunk.example.com:5061;transport=tls",
        outboundEncryption="TLS/SRTP",
    )
    assert (created["outboundEndpoint"], created["outboundEncryption"]) == (
        "sip:trunk.example.com:5061;transport=tls",
        "TLS/SRTP",
    )
    url = f"{base}/handoffs/{created['id']}"
    changed = await client.patch(
        url, json={"outboundEndpoint": "10.0.0.7:5060", "outboundEncryption": "UDP/RTP"}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["outboundEndpoint"], changed.json()["outboundEncryption"]) == (
        "10.0.0.7:5060",
        "UDP/RTP",
    )
    # Leaving invite needs the invite's settings cleared in the same request, as a bye's destination.
    error = assert_error(
        await client.patch(url, json={"method": "refer", "destination": DESK}, headers=admin),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert error["data"]["errors"][0]["path"] == "/body/outboundEndpoint"
    body = {"method": "refer", "destination": DESK, "outboundEndpoint": None, "outboundEncryption": None}
    response = await client.patch(url, json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert (response.json()["outboundEndpoint"], response.json()["outboundEncryption"]) == (None, None)
    # Other methods never take them.
    refer = {"name": "desk", "method": "refer", "destination": DESK, "outboundEncryption": "TLS/SRTP"}
    error = assert_error(
        await client.post(f"{base}/handoffs", json=refer, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    assert error["data"]["errors"][0]["path"] == "/body/outboundEncryption"
    assert [h["name"] for h in await handoffs(client, admin, base)] == ["agents"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("outboundEncryption", "TLS"),
        ("outboundEncryption", "tls/srtp"),
        ("outboundEndpoint", "not a host"),
        ("outboundEndpoint", "sip:"),
        ("outboundEndpoint", "trunk.example.com:5060\r\nVia: x"),
        ("outboundEndpoint", ""),
        ("outboundEndpoint", "h" * 301),
    ],
)
async def test_bad_invite_settings(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, field: str, value: str
) -> None:
    body = {"name": "agents", "method": "invite", "destination": DESK, field: value}
    error = assert_error(
        await client.post(f"{base}/handoffs", json=body, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    assert error["data"]["errors"][0]["path"] == f"/body/{field}"
    assert await handoffs(client, admin, base) == []


async def test_exactly_one_default(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    first = await create_handoff(client, admin, base, "first", isDefault=False)
    assert first["isDefault"] is True
    second = await create_handoff(client, admin, base, "second", isDefault=True)
    third = await create_handoff(client, admin, base, "third")
    assert defaults(await handoffs(client, admin, base)) == ["second"]

    url = f"{base}/handoffs/{second['id']}"
    error = assert_error(
        await client.patch(url, json={"isDefault": False}, headers=admin), "UNPROCESSABLE_ENTITY"
    )
    assert "second" in error["message"]
    response = await client.patch(f"{base}/handoffs/{third['id']}", json={"isDefault": True}, headers=admin)
    assert response.status_code == 200 and response.json()["isDefault"] is True
    assert defaults(await handoffs(client, admin, base)) == ["third"]

    # Deleting the default hands the role to the oldest remaining handoff.
    assert (await client.delete(f"{base}/handoffs/{third['id']}", headers=admin)).status_code == 204
    assert defaults(await handoffs(client, admin, base)) == ["first"]
    await client.delete(f"{base}/handoffs/{second['id']}", headers=admin)
    await client.delete(f"{base}/handoffs/{first['id']}", headers=admin)
    assert await handoffs(client, admin, base) == []


async def test_sip_headers(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    headers = [
        {"key": "X-Customer-Tier", "value": "gold ✨"},
        {"key": "User-to-User", "value": "abc;encoding=hex"},
    ]
    created = await create_handoff(client, admin, base, "desk", sipHeaders=headers)
    assert created["sipHeaders"] == headers
    for bad in (
        [{"key": "X-A", "value": "1"}, {"key": "x-a", "value": "2"}],
        [{"key": "Bad Key", "value": "1"}],
        [{"key": "", "value": "1"}],
        [{"key": "X-A", "value": "line\r\nX-Injected: 1"}],
        [{"key": "X-A"}],
        [{"key": "X-A", "value": "1", "extra": True}],
        [{"key": f"X-{i}", "value": "v"} for i in range(21)],
        {"X-A": "1"},
    ):
        response = await client.post(
            f"{base}/handoffs", json={"name": "other", "method": "bye", "sipHeaders": bad}, headers=admin
        )
        assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert [h["name"] for h in await handoffs(client, admin, base)] == ["desk"]


async def test_names_and_conflicts(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    first = await create_handoff(client, admin, base, "Front-Desk")
    second = await create_handoff(client, admin, base, "Réception")
    for name in ("front_desk", "FRONT-DESK"):
        response = await client.post(f"{base}/handoffs", json={"name": name, "method": "bye"}, headers=admin)
        error = assert_error(response, "HANDOFF_NAME_ALREADY_EXISTS")
        assert name in error["message"]
    response = await client.patch(
        f"{base}/handoffs/{second['id']}", json={"name": "front_desk"}, headers=admin
    )
    assert_error(response, "HANDOFF_NAME_ALREADY_EXISTS")
    for name in ("front desk", "9desk", "<b>desk</b>", "", "x" * 101):
        response = await client.post(f"{base}/handoffs", json={"name": name, "method": "bye"}, headers=admin)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert [h["id"] for h in await handoffs(client, admin, base)] == [first["id"], second["id"]]


async def test_unknown_handoff(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    url = f"{base}/handoffs/HANDOFF-NOPE"
    error = assert_error(await client.get(url, headers=admin), "HANDOFF_NOT_FOUND")
    assert "HANDOFF-NOPE" in error["message"]
    assert_error(await client.patch(url, json={"reason": "x"}, headers=admin), "HANDOFF_NOT_FOUND")
    assert_error(await client.delete(url, headers=admin), "HANDOFF_NOT_FOUND")


async def test_bad_bodies(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    created = await create_handoff(client, admin, base, "desk")
    for body in (
        {},
        {"name": "x"},
        {"name": "x", "method": "transfer", "destination": DESK},
        {"name": "x", "method": "REFER", "destination": DESK},
        {"name": "x", "method": "refer", "destination": 14155552671},
        {"name": "x", "method": "refer", "destination": DESK, "isDefault": "yes"},
        {"name": "x", "method": "refer", "destination": DESK, "reason": "r" * 501},
        {"name": "x", "method": "refer", "destination": DESK, "unknown": 1},
    ):
        assert_error(
            await client.post(f"{base}/handoffs", json=body, headers=admin), "SCHEMA_VALIDATION_FAILED"
        )
    url = f"{base}/handoffs/{created['id']}"
    for body in (
        {"name": None},
        {"method": None},
        {"isDefault": None},
        {"sipHeaders": None},
        {"reason": None},
    ):
        assert_error(await client.patch(url, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    response = await client.post(
        f"{base}/handoffs", content=b"[", headers={**admin, "content-type": "application/json"}
    )
    assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert await handoffs(client, admin, base) == [created]


async def test_access(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    viewer: dict[str, str],
    external: dict[str, str],
    stranger: dict[str, str],
    agent: str,
    branch: str,
    base: str,
) -> None:
    created = await create_handoff(client, admin, base, "desk")
    other = await create_handoff(client, admin, base, "other")
    calls = [
        Call("GET", "/handoffs", write=False),
        Call("GET", f"/handoffs/{created['id']}", write=False),
        Call("POST", "/handoffs", write=True, json={"name": "new", "method": "bye"}),
        Call("PATCH", f"/handoffs/{created['id']}", write=True, json={"reason": "changed"}),
        Call("DELETE", f"/handoffs/{other['id']}", write=True),
    ]
    await check_access(
        client,
        agent=agent,
        branch=branch,
        admin=admin,
        viewer=viewer,
        external=external,
        stranger=stranger,
        calls=calls,
    )
    assert await handoffs(client, viewer, base) == [created, other]

"""SMS templates: lifecycle, text and its references, numbers per environment, access."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.branches import kinds
from parley.branches.store import ResourceKind, ResourceStore
from parley.errors import FunctionNameAlreadyExists, FunctionNotFound
from tests.support.envelope import assert_error
from tests.variants.scaffold import Call, check_access

LIVE = "+14155552671"
SANDBOX = "+442079460958"


async def create_template(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, name: str, **fields: Any
) -> dict[str, Any]:
    body = {"name": name, "text": "Your booking is confirmed.", **fields}
    response = await client.post(f"{base}/sms-templates", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def templates(client: httpx.AsyncClient, headers: dict[str, str], base: str) -> list[dict[str, Any]]:
    response = await client.get(f"{base}/sms-templates", headers=headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"smsTemplates"}
    listed: list[dict[str, Any]] = response.json()["smsTemplates"]
    return listed


@pytest.fixture
async def guest_name_variable(app: FastAPI, branch: str) -> str:
    """A global function in the branch that writes conv.state.guest_name, making it a variable."""
    kind = ResourceKind(kinds.FUNCTION, "FUNCTION", "Function", FunctionNotFound, FunctionNameAlreadyExists)
    code = "def remember_guest(conv, name: str):\n    conv.state.guest_name = name\n"
    async with app.state.sessionmaker() as session:
        await ResourceStore(session, branch, kind).create({"name": "remember_guest", "code": code})
        await session.commit()
    return "guest_name"


async def test_lifecycle(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    created = await create_template(
        client,
        admin,
        base,
        "booking_confirmation",
        text="  Thanks! Your table is booked. Reply STOP to opt out.  ",
        envPhoneNumbers={"live": LIVE, "pre-release": SANDBOX},
    )
    assert created == {
        "id": created["id"],
        "name": "booking_confirmation",
        "text": "Thanks! Your table is booked. Reply STOP to opt out.",
        "envPhoneNumbers": {"live": LIVE, "pre-release": SANDBOX},
    }
    assert created["id"].startswith("SMS_TEMPLATE-")
    url = f"{base}/sms-templates/{created['id']}"
    assert (await client.get(url, headers=admin)).json() == created
    assert await templates(client, admin, base) == [created]

    # envPhoneNumbers is replaced as a whole.
    response = await client.patch(url, json={"envPhoneNumbers": {"sandbox": SANDBOX}}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["envPhoneNumbers"] == {"sandbox": SANDBOX}
    response = await client.patch(url, json={"text": "Changed 🎉", "name": "booking_done"}, headers=admin)
    assert response.json() == {
        **created,
        "name": "booking_done",
        "text": "Changed 🎉",
        "envPhoneNumbers": {"sandbox": SANDBOX},
    }

    assert (await client.delete(url, headers=admin)).status_code == 204
    assert await templates(client, admin, base) == []
    assert_error(await client.get(url, headers=admin), "SMS_TEMPLATE_NOT_FOUND")


async def test_text_length(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    await create_template(client, admin, base, "longest", text="é" * 500)
    for text in ("é" * 501, "", "   \n ", 5, None):
        response = await client.post(f"{base}/sms-templates", json={"name": "t", "text": text}, headers=admin)
        error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
        assert error["data"]["errors"][0]["path"] == "/body/text"
    assert [t["name"] for t in await templates(client, admin, base)] == ["longest"]


async def test_text_may_reference_variables_only(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, guest_name_variable: str
) -> None:
    created = await create_template(
        client, admin, base, "hello", text=f"Hi {{{{vrbl:{guest_name_variable}}}}}!"
    )
    assert created["text"] == "Hi {{vrbl:guest_name}}!"
    cases = {
        "Hi {{vrbl:nobody}}": "not_found",
        "Call {{fn:remember_guest}}": "not_allowed",
        "Send {{twilio_sms:hello}}": "not_allowed",
        "{{tn:greeting}}": "unknown_kind",
        "Hi {{vrbl:guest name}}": "malformed",
        "Hi {{vrbl:guest_name": "malformed",
    }
    for text, reason in cases.items():
        response = await client.post(
            f"{base}/sms-templates", json={"name": "bad", "text": text}, headers=admin
        )
        error = assert_error(response, "KNOWLEDGE_BASE_RICH_TEXT_INVALID")
        assert [r["reason"] for r in error["data"]["references"]] == [reason], (text, error)
    url = f"{base}/sms-templates/{created['id']}"
    response = await client.patch(url, json={"text": "{{vrbl:guest_name}} {{vrbl:ghost}}"}, headers=admin)
    error = assert_error(response, "KNOWLEDGE_BASE_RICH_TEXT_INVALID")
    assert error["data"]["references"] == [
        {"reference": "{{vrbl:ghost}}", "reason": "not_found", "position": 20}
    ]
    assert await templates(client, admin, base) == [created]


async def test_phone_numbers(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    created = await create_template(client, admin, base, "t", envPhoneNumbers={"sandbox": None, "live": LIVE})
    assert created["envPhoneNumbers"] == {"live": LIVE}
    for numbers, path in (
        ({"live": "4155552671"}, "/body/envPhoneNumbers/live"),
        ({"sandbox": LIVE, "pre-release": "+1 415 555 2671"}, "/body/envPhoneNumbers/pre-release"),
        ({"sandbox": "+15555550123"}, "/body/envPhoneNumbers/sandbox"),
    ):
        response = await client.post(
            f"{base}/sms-templates",
            json={"name": "other", "text": "x", "envPhoneNumbers": numbers},
            headers=admin,
        )
        error = assert_error(response, "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT")
        assert error["data"]["errors"][0]["path"] == path
    for numbers in (
        {"staging": LIVE},
        {"preRelease": LIVE},
        {"pre_release": LIVE},
        {"live": 14155552671},
        [LIVE],
    ):
        response = await client.post(
            f"{base}/sms-templates",
            json={"name": "other", "text": "x", "envPhoneNumbers": numbers},
            headers=admin,
        )
        assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert await templates(client, admin, base) == [created]


async def test_names_and_conflicts(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    first = await create_template(client, admin, base, "booking-confirmation")
    second = await create_template(client, admin, base, "Rappel_été")
    for name in ("booking_confirmation", "Booking-Confirmation"):
        response = await client.post(f"{base}/sms-templates", json={"name": name, "text": "x"}, headers=admin)
        error = assert_error(response, "SMS_TEMPLATE_NAME_ALREADY_EXISTS")
        assert "booking" in error["message"].lower()
    url = f"{base}/sms-templates/{second['id']}"
    assert_error(
        await client.patch(url, json={"name": "BOOKING_CONFIRMATION"}, headers=admin),
        "SMS_TEMPLATE_NAME_ALREADY_EXISTS",
    )
    for name in ("Booking confirmation", "1st", "-x", "{{x}}", "", "x" * 101, "'; DROP TABLE sms; --"):
        response = await client.post(f"{base}/sms-templates", json={"name": name, "text": "x"}, headers=admin)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert [t["id"] for t in await templates(client, admin, base)] == [first["id"], second["id"]]


async def test_unknown_template(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    url = f"{base}/sms-templates/SMS_TEMPLATE-NOPE"
    error = assert_error(await client.get(url, headers=admin), "SMS_TEMPLATE_NOT_FOUND")
    assert "SMS_TEMPLATE-NOPE" in error["message"]
    assert_error(await client.patch(url, json={"text": "x"}, headers=admin), "SMS_TEMPLATE_NOT_FOUND")
    assert_error(await client.delete(url, headers=admin), "SMS_TEMPLATE_NOT_FOUND")


async def test_bad_bodies(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    created = await create_template(client, admin, base, "t")
    for body in ({}, {"name": "x"}, {"text": "x"}, {"name": "x", "text": "x", "body": "x"}, []):
        assert_error(
            await client.post(f"{base}/sms-templates", json=body, headers=admin), "SCHEMA_VALIDATION_FAILED"
        )
    url = f"{base}/sms-templates/{created['id']}"
    for body in ({"name": None}, {"text": None}, {"envPhoneNumbers": None}, {"text": "x" * 501}):
        assert_error(await client.patch(url, json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    response = await client.post(
        f"{base}/sms-templates",
        content=b"text=hi",
        headers={**admin, "content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, "UNSUPPORTED_MEDIA_TYPE")
    assert await templates(client, admin, base) == [created]


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
    created = await create_template(client, admin, base, "t")
    calls = [
        Call("GET", "/sms-templates", write=False),
        Call("GET", f"/sms-templates/{created['id']}", write=False),
        Call("POST", "/sms-templates", write=True, json={"name": "new", "text": "x"}),
        Call("PATCH", f"/sms-templates/{created['id']}", write=True, json={"text": "changed"}),
        Call("DELETE", f"/sms-templates/{created['id']}", write=True),
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
    assert await templates(client, viewer, base) == [created]

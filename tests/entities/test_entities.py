"""Entities: lifecycle, per-type config rules, names, conflicts, access."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.envelope import assert_error
from tests.variants.scaffold import Call, check_access


async def create_entity(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, name: str, type_: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{base}/entities", json={"name": name, "type": type_, **fields}, headers=admin
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def entities(client: httpx.AsyncClient, headers: dict[str, str], base: str) -> list[dict[str, Any]]:
    response = await client.get(f"{base}/entities", headers=headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"entities"}
    listed: list[dict[str, Any]] = response.json()["entities"]
    return listed


async def test_lifecycle(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    created = await create_entity(
        client,
        admin,
        base,
        "party_size",
        "number",
        description="  How many guests.  ",
        config={"min": 1, "max": 12},
    )
    assert set(created) == {"id", "name", "description", "type", "config"}
    assert created["id"].startswith("ENTITY-")
    assert created["description"] == "How many guests."
    assert created["config"] == {"hasDecimal": False, "min": 1, "max": 12}
    response = await client.get(f"{base}/entities/{created['id']}", headers=admin)
    assert response.status_code == 200 and response.json() == created
    assert await entities(client, admin, base) == [created]

    response = await client.patch(
        f"{base}/entities/{created['id']}",
        json={"description": "Guests", "config": {"max": 20}},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**created, "description": "Guests", "config": {"hasDecimal": False, "max": 20}}

    # A type change without a config resets it to the new type's defaults.
    response = await client.patch(f"{base}/entities/{created['id']}", json={"type": "date"}, headers=admin)
    assert response.json()["type"] == "date" and response.json()["config"] == {"relativeDate": False}

    response = await client.delete(f"{base}/entities/{created['id']}", headers=admin)
    assert response.status_code == 204 and response.content == b""
    assert await entities(client, admin, base) == []
    assert_error(await client.get(f"{base}/entities/{created['id']}", headers=admin), "ENTITY_NOT_FOUND")


@pytest.mark.parametrize(
    ("type_", "config", "stored"),
    [
        ("number", {}, {"hasDecimal": False}),
        (
            "number",
            {"hasDecimal": True, "min": -1.5, "max": 2.25},
            {"hasDecimal": True, "min": -1.5, "max": 2.25},
        ),
        ("date", {"relativeDate": True}, {"relativeDate": True}),
        ("time", {"startTime": "09:00", "endTime": "17:30"}, {"startTime": "09:00", "endTime": "17:30"}),
        ("phone_number", {"countryCodes": ["gb", "US"]}, {"countryCodes": ["GB", "US"]}),
        ("email", {}, {}),
        ("name", {}, {}),
        ("yes_no", {}, {}),
        ("free_text", {}, {}),
        (
            "enum",
            {"options": [" small ", "Large", "Ünïcödé 🍕"]},
            {"options": ["small", "Large", "Ünïcödé 🍕"]},
        ),
        ("regex", {"pattern": r"^[A-Z]{2}\d{6}$"}, {"pattern": r"^[A-Z]{2}\d{6}$"}),
    ],
)
async def test_every_type(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    base: str,
    type_: str,
    config: dict[str, Any],
    stored: dict[str, Any],
) -> None:
    created = await create_entity(client, admin, base, "value", type_, config=config)
    assert created["type"] == type_ and created["config"] == stored


@pytest.mark.parametrize(
    ("type_", "config", "path"),
    [
        ("number", {"min": 5, "max": 1}, "/body/config"),
        ("number", {"min": 1.5}, "/body/config"),
        ("number", {"min": "1"}, "/body/config/min"),
        ("number", {"hasDecimal": "yes"}, "/body/config/hasDecimal"),
        ("number", {"has_decimal": True}, "/body/config/has_decimal"),
        ("date", {"relativeDate": 1}, "/body/config/relativeDate"),
        ("time", {"startTime": "25:00"}, "/body/config/startTime"),
        ("time", {"endTime": "9am"}, "/body/config/endTime"),
        ("phone_number", {"countryCodes": ["XX"]}, "/body/config/countryCodes"),
        ("phone_number", {"countryCodes": ["GB", "gb"]}, "/body/config/countryCodes"),
        ("phone_number", {"countryCodes": "GB"}, "/body/config/countryCodes"),
        ("email", {"pattern": ".*"}, "/body/config/pattern"),
        ("yes_no", {"options": ["y"]}, "/body/config/options"),
        ("enum", {}, "/body/config/options"),
        ("enum", {"options": []}, "/body/config/options"),
        ("enum", {"options": ["a", "A"]}, "/body/config/options"),
        ("enum", {"options": ["a", ""]}, "/body/config/options/1"),
        ("enum", {"options": ["a", 1]}, "/body/config/options/1"),
        ("enum", {"options": ["x" * 201]}, "/body/config/options/0"),
        ("regex", {}, "/body/config/pattern"),
        ("regex", {"pattern": "("}, "/body/config/pattern"),
        ("regex", {"pattern": "[a-"}, "/body/config/pattern"),
        ("regex", {"pattern": ""}, "/body/config/pattern"),
        ("regex", {"pattern": "a" * 501}, "/body/config/pattern"),
    ],
)
async def test_invalid_config(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, type_: str, config: dict[str, Any], path: str
) -> None:
    response = await client.post(
        f"{base}/entities", json={"name": "value", "type": type_, "config": config}, headers=admin
    )
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert [e["path"] for e in error["data"]["errors"]] == [path], error
    assert type_ in error["message"]
    assert await entities(client, admin, base) == []


async def test_config_is_checked_against_the_new_type_on_update(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    created = await create_entity(client, admin, base, "size", "enum", config={"options": ["S", "M"]})
    url = f"{base}/entities/{created['id']}"
    # Becoming a regex needs a pattern; options are not a regex's config.
    assert_error(await client.patch(url, json={"type": "regex"}, headers=admin), "SCHEMA_VALIDATION_FAILED")
    response = await client.patch(url, json={"type": "regex", "config": {"options": ["S"]}}, headers=admin)
    assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert_error(
        await client.patch(url, json={"config": {"options": []}}, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    response = await client.patch(
        url, json={"type": "regex", "config": {"pattern": "^[SML]$"}}, headers=admin
    )
    assert response.status_code == 200 and response.json()["config"] == {"pattern": "^[SML]$"}
    # Without a type change the config stays when other fields change.
    response = await client.patch(url, json={"name": "shirt_size"}, headers=admin)
    assert response.json()["config"] == {"pattern": "^[SML]$"} and response.json()["name"] == "shirt_size"


async def test_names(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    for name in ("date_of_birth", "Città", "booking-ref", "日本語", "a1"):
        await create_entity(client, admin, base, name, "free_text")
    for name in (
        "1st",
        "_private",
        "has space",
        "{{entity:x}}",
        "a.b",
        "",
        "x" * 101,
        "drop;table",
        "new\nline",
    ):
        response = await client.post(
            f"{base}/entities", json={"name": name, "type": "free_text"}, headers=admin
        )
        error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
        assert error["data"]["errors"][0]["path"] == "/body/name"
    assert len(await entities(client, admin, base)) == 5


async def test_duplicate_names(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    first = await create_entity(client, admin, base, "booking_ref", "free_text")
    second = await create_entity(client, admin, base, "guest", "name")
    # booking-ref and Booking_Ref clean to the same name as booking_ref.
    for name in ("booking_ref", "Booking_Ref", "booking-ref"):
        response = await client.post(f"{base}/entities", json={"name": name, "type": "email"}, headers=admin)
        error = assert_error(response, "ENTITY_NAME_ALREADY_EXISTS")
        assert error["message"].startswith("An entity named")
    response = await client.patch(
        f"{base}/entities/{second['id']}", json={"name": "BOOKING_REF"}, headers=admin
    )
    assert_error(response, "ENTITY_NAME_ALREADY_EXISTS")
    response = await client.patch(
        f"{base}/entities/{first['id']}", json={"name": "Booking_Ref"}, headers=admin
    )
    assert response.status_code == 200


async def test_unknown_entity(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    url = f"{base}/entities/ENTITY-NOPE"
    error = assert_error(await client.get(url, headers=admin), "ENTITY_NOT_FOUND")
    assert "ENTITY-NOPE" in error["message"]
    assert_error(await client.patch(url, json={"name": "x"}, headers=admin), "ENTITY_NOT_FOUND")
    assert_error(await client.delete(url, headers=admin), "ENTITY_NOT_FOUND")


async def test_bad_bodies(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    created = await create_entity(client, admin, base, "guest", "name")
    for body in (
        {},
        {"name": "x"},
        {"type": "email"},
        {"name": "x", "type": "colour"},
        {"name": "x", "type": "email", "config": []},
        {"name": "x", "type": "email", "config": "none"},
        {"name": "x", "type": "email", "description": 5},
        {"name": "x", "type": "email", "description": "d" * 2001},
        {"name": "x", "type": "email", "entityType": "email"},
        [],
    ):
        response = await client.post(f"{base}/entities", json=body, headers=admin)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")
    for body in ({"name": None}, {"type": None}, {"config": None}, {"description": None}, {"type": "colour"}):
        response = await client.patch(f"{base}/entities/{created['id']}", json=body, headers=admin)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")
    response = await client.post(
        f"{base}/entities", content=b"{not json", headers={**admin, "content-type": "application/json"}
    )
    assert_error(response, "SCHEMA_VALIDATION_FAILED")
    response = await client.post(
        f"{base}/entities", content=b"name=x", headers={**admin, "content-type": "text/plain"}
    )
    assert_error(response, "UNSUPPORTED_MEDIA_TYPE")
    assert await entities(client, admin, base) == [created]


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
    created = await create_entity(client, admin, base, "guest", "name")
    calls = [
        Call("GET", "/entities", write=False),
        Call("GET", f"/entities/{created['id']}", write=False),
        Call("POST", "/entities", write=True, json={"name": "email", "type": "email"}),
        Call("PATCH", f"/entities/{created['id']}", write=True, json={"description": "changed"}),
        Call("DELETE", f"/entities/{created['id']}", write=True),
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
    assert await entities(client, viewer, base) == [created]

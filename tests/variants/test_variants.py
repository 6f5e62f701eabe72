"""Variants: lifecycle, the single default, attribute values, limits, access."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.envelope import assert_error
from tests.variants.scaffold import Call, check_access
from tests.variants.test_attributes import create_attribute


async def create_variant(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, name: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(f"{base}/variants", json={"name": name, **fields}, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def variants(client: httpx.AsyncClient, headers: dict[str, str], base: str) -> list[dict[str, Any]]:
    response = await client.get(f"{base}/variants", headers=headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"variants"}
    listed: list[dict[str, Any]] = response.json()["variants"]
    return listed


def default_names(listed: list[dict[str, Any]]) -> list[str]:
    return [v["name"] for v in listed if v["isDefault"]]


async def test_lifecycle(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    city = await create_attribute(client, admin, base, "City")
    london = await create_variant(
        client, admin, base, "  London  ", attributeValues={"values": {city: "  London, UK \n"}}
    )
    assert set(london) == {"id", "name", "isDefault", "attributeValues"}
    assert london["id"].startswith("VARIANT-")
    assert london["name"] == "London"
    assert london["isDefault"] is True  # the first variant is the default
    assert london["attributeValues"] == {"values": {city: "London, UK"}}  # values are stripped

    paris = await create_variant(client, admin, base, "Paris")
    assert paris["isDefault"] is False and paris["attributeValues"] == {"values": {}}
    assert await variants(client, admin, base) == [london, paris]

    response = await client.patch(
        f"{base}/variants/{paris['id']}",
        json={"name": "Paris Centre", "attributeValues": {"values": {city: "Paris"}}},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        **paris,
        "name": "Paris Centre",
        "attributeValues": {"values": {city: "Paris"}},
    }

    # PATCH replaces the whole values map; an empty body changes nothing.
    response = await client.patch(
        f"{base}/variants/{paris['id']}", json={"attributeValues": {"values": {}}}, headers=admin
    )
    assert response.json()["attributeValues"] == {"values": {}}
    response = await client.patch(f"{base}/variants/{paris['id']}", json={}, headers=admin)
    assert response.status_code == 200 and response.json()["name"] == "Paris Centre"

    response = await client.delete(f"{base}/variants/{paris['id']}", headers=admin)
    assert response.status_code == 200 and response.json() == {"id": paris["id"]}
    assert [v["id"] for v in await variants(client, admin, base)] == [london["id"]]
    assert_error(await client.delete(f"{base}/variants/{paris['id']}", headers=admin), "VARIANT_NOT_FOUND")


async def test_exactly_one_default(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    # Asking for a non-default first variant still gives the branch its default.
    first = await create_variant(client, admin, base, "First", isDefault=False)
    assert first["isDefault"] is True
    second = await create_variant(client, admin, base, "Second", isDefault=True)
    assert second["isDefault"] is True
    assert default_names(await variants(client, admin, base)) == ["Second"]

    response = await client.patch(f"{base}/variants/{first['id']}", json={"isDefault": True}, headers=admin)
    assert response.status_code == 200 and response.json()["isDefault"] is True
    assert default_names(await variants(client, admin, base)) == ["First"]

    # Un-flagging the default would leave none: name the new default instead.
    error = assert_error(
        await client.patch(f"{base}/variants/{first['id']}", json={"isDefault": False}, headers=admin),
        "VARIANTS_REMOVE_DEFAULT_ERROR",
    )
    assert "First" in error["message"]
    # false on a variant that is not the default is simply true already.
    response = await client.patch(f"{base}/variants/{second['id']}", json={"isDefault": False}, headers=admin)
    assert response.status_code == 200 and response.json()["isDefault"] is False
    # Setting the default again on the default is a no-op.
    response = await client.patch(f"{base}/variants/{first['id']}", json={"isDefault": True}, headers=admin)
    assert response.status_code == 200
    assert default_names(await variants(client, admin, base)) == ["First"]


async def test_the_default_cannot_be_deleted(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    only = await create_variant(client, admin, base, "Only")
    assert_error(
        await client.delete(f"{base}/variants/{only['id']}", headers=admin), "VARIANTS_REMOVE_DEFAULT_ERROR"
    )
    other = await create_variant(client, admin, base, "Other")
    assert_error(
        await client.delete(f"{base}/variants/{only['id']}", headers=admin), "VARIANTS_REMOVE_DEFAULT_ERROR"
    )
    await client.patch(f"{base}/variants/{other['id']}", json={"isDefault": True}, headers=admin)
    assert (await client.delete(f"{base}/variants/{only['id']}", headers=admin)).status_code == 200
    assert [(v["name"], v["isDefault"]) for v in await variants(client, admin, base)] == [("Other", True)]


async def test_attribute_values_must_name_attributes_of_the_branch(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    city = await create_attribute(client, admin, base, "City")
    variant = await create_variant(
        client, admin, base, "London", attributeValues={"values": {city: "London"}}
    )
    # Keys are attribute ids, not names.
    bad = {city: "x", "City": "London", "ATTRIBUTE-NOPE": "y"}
    for method, path in (("POST", "/variants"), ("PATCH", f"/variants/{variant['id']}")):
        response = await client.request(
            method, f"{base}{path}", json={"name": "Paris", "attributeValues": {"values": bad}}, headers=admin
        )
        error = assert_error(response, "VARIANTS_BAD_ATTRIBUTES_ERROR")
        assert error["data"] == {"unknownAttributeIds": ["ATTRIBUTE-NOPE", "City"]}
    assert await variants(client, admin, base) == [variant]


async def test_attribute_ids_of_another_branch_are_unknown(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, base: str
) -> None:
    response = await client.post(f"/v1/agents/{agent}/branches", json={"branchName": "other"}, headers=admin)
    other_base = f"/v1/agents/{agent}/branches/{response.json()['branchId']}"
    foreign = await create_attribute(client, admin, other_base, "City")
    response = await client.post(
        f"{base}/variants",
        json={"name": "London", "attributeValues": {"values": {foreign: "x"}}},
        headers=admin,
    )
    assert_error(response, "VARIANTS_BAD_ATTRIBUTES_ERROR")


async def test_duplicate_names(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    await create_variant(client, admin, base, "New York")
    paris = await create_variant(client, admin, base, "Paris")
    for name in ("New York", "new york", "New-York", " NEW  YORK "):
        response = await client.post(f"{base}/variants", json={"name": name}, headers=admin)
        assert_error(response, "VARIANTS_DUPLICATE_NAME_ERROR")
    response = await client.patch(f"{base}/variants/{paris['id']}", json={"name": "new york"}, headers=admin)
    assert_error(response, "VARIANTS_DUPLICATE_NAME_ERROR")
    assert [v["name"] for v in await variants(client, admin, base)] == ["New York", "Paris"]


async def test_unknown_variant(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    response = await client.patch(f"{base}/variants/VARIANT-NOPE", json={"name": "x"}, headers=admin)
    error = assert_error(response, "VARIANT_NOT_FOUND")
    assert "VARIANT-NOPE" in error["message"]
    assert_error(await client.delete(f"{base}/variants/VARIANT-NOPE", headers=admin), "VARIANT_NOT_FOUND")


async def test_bad_bodies(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    city = await create_attribute(client, admin, base, "City")
    variant = await create_variant(client, admin, base, "London")
    shared: list[dict[str, Any]] = [
        {"name": ""},
        {"name": 3},
        {"name": "x" * 101},
        {"name": "tab\there"},
        {"name": "ok", "isDefault": "true"},
        {"name": "ok", "isDefault": 1},
        {"name": "ok", "attributeValues": {"values": {city: 5}}},
        {"name": "ok", "attributeValues": {"values": {city: None}}},
        {"name": "ok", "attributeValues": {"values": {city: "x" * 5001}}},
        {"name": "ok", "attributeValues": {"values": [city]}},
        {"name": "ok", "attributeValues": {"other": {}}},
        {"name": "ok", "attributeValues": "London"},
        {"name": "ok", "unknownField": True},
    ]
    for body in [*shared, {}, {"isDefault": True}]:
        response = await client.post(f"{base}/variants", json=body, headers=admin)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")
    for body in [*shared, {"name": None}, {"isDefault": None}, {"attributeValues": None}]:
        response = await client.patch(f"{base}/variants/{variant['id']}", json=body, headers=admin)
        error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
        assert all(e["path"].startswith("/body") for e in error["data"]["errors"]), error
    assert await variants(client, admin, base) == [variant]


async def test_unicode_and_injection_looking_values_round_trip(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    city = await create_attribute(client, admin, base, "City")
    values = {city: "Zürich 🇨🇭 — \"quoted\" 'x' ; DROP TABLE variant; -- {{fn:x}}\nsecond line"}
    created = await create_variant(client, admin, base, "Zürich 東京", attributeValues={"values": values})
    assert created["attributeValues"]["values"] == values
    assert (await variants(client, admin, base))[0] == created


async def test_at_most_a_thousand_variants(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    rows = "\n".join(f"variant {index}" for index in range(1000))
    response = await client.post(
        f"{base}/variants/import", files={"file": ("v.csv", f"name\n{rows}\n", "text/csv")}, headers=admin
    )
    assert response.status_code == 200, response.text
    error = assert_error(
        await client.post(f"{base}/variants", json={"name": "one too many"}, headers=admin),
        "UNPROCESSABLE_ENTITY",
    )
    assert error["data"] == {"limit": 1000, "kind": "variant", "count": 1001}
    assert len(await variants(client, admin, base)) == 1000


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
    variant = await create_variant(client, admin, base, "London")
    other = await create_variant(client, admin, base, "Paris")
    csv_file = {"file": ("v.csv", "name\nBerlin\n", "text/csv")}
    calls = [
        Call("GET", "/variants", write=False),
        Call("GET", "/variants/export", write=False),
        Call("POST", "/variants", write=True, json={"name": "Rome"}),
        Call("PATCH", f"/variants/{variant['id']}", write=True, json={"name": "Londres"}),
        Call("DELETE", f"/variants/{other['id']}", write=True),
        Call("POST", "/variants/import", write=True, files=csv_file),
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
    assert await variants(client, viewer, base) == [variant, other]

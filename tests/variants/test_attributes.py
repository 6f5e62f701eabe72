"""Variant attributes: lifecycle, names, limits, and their values disappearing with them."""

from __future__ import annotations

import httpx

from tests.support.envelope import assert_error
from tests.variants.scaffold import Call, check_access


async def create_attribute(client: httpx.AsyncClient, admin: dict[str, str], base: str, name: str) -> str:
    response = await client.post(f"{base}/attributes", json={"name": name}, headers=admin)
    assert response.status_code == 201, response.text
    attribute_id: str = response.json()["id"]
    return attribute_id


async def attributes(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> list[dict[str, str]]:
    response = await client.get(f"{base}/attributes", headers=admin)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"attributes"}
    listed: list[dict[str, str]] = response.json()["attributes"]
    return listed


async def test_lifecycle(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    assert await attributes(client, admin, base) == []
    response = await client.post(f"{base}/attributes", json={"name": "  Opening hours  "}, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"id", "name"}
    assert created["id"].startswith("ATTRIBUTE-") and len(created["id"]) == len("ATTRIBUTE-") + 8
    assert created["name"] == "Opening hours"
    assert await attributes(client, admin, base) == [created]

    response = await client.patch(f"{base}/attributes/{created['id']}", json={"name": "Hours"}, headers=admin)
    assert response.status_code == 200 and response.json() == {"id": created["id"], "name": "Hours"}

    response = await client.delete(f"{base}/attributes/{created['id']}", headers=admin)
    assert response.status_code == 200 and response.json() == {"id": created["id"]}
    assert await attributes(client, admin, base) == []
    assert_error(
        await client.delete(f"{base}/attributes/{created['id']}", headers=admin), "ATTRIBUTE_NOT_FOUND"
    )


async def test_unicode_and_injection_looking_names_are_plain_data(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    names = ["Ville 🏙️ Straße", "'; DROP TABLE branch_resource; --", "<script>alert(1)</script>", "{{fn:x}}"]
    for name in names:
        await create_attribute(client, admin, base, name)
    assert [a["name"] for a in await attributes(client, admin, base)] == names


async def test_duplicate_names_conflict(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    city = await create_attribute(client, admin, base, "City")
    country = await create_attribute(client, admin, base, "Country")
    # Names are unique once cleaned (case, punctuation), as the ADK needs for its file names.
    for name in ("City", "city", " CITY! "):
        error = assert_error(
            await client.post(f"{base}/attributes", json={"name": name}, headers=admin),
            "ATTRIBUTE_NAME_ALREADY_EXISTS",
        )
        assert "City" in error["message"] or "city" in error["message"].lower()
    assert_error(
        await client.patch(f"{base}/attributes/{country}", json={"name": "city"}, headers=admin),
        "ATTRIBUTE_NAME_ALREADY_EXISTS",
    )
    # Renaming an attribute to another spelling of its own name is fine.
    response = await client.patch(f"{base}/attributes/{city}", json={"name": "CITY"}, headers=admin)
    assert response.status_code == 200 and response.json()["name"] == "CITY"
    assert len(await attributes(client, admin, base)) == 2


async def test_unknown_attribute(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    error = assert_error(
        await client.patch(f"{base}/attributes/ATTRIBUTE-NOPE", json={"name": "x"}, headers=admin),
        "ATTRIBUTE_NOT_FOUND",
    )
    assert "ATTRIBUTE-NOPE" in error["message"]
    assert_error(
        await client.delete(f"{base}/attributes/ATTRIBUTE-NOPE", headers=admin), "ATTRIBUTE_NOT_FOUND"
    )


async def test_bad_bodies_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    attribute = await create_attribute(client, admin, base, "City")
    bad_bodies: list[object] = [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": None},
        {"name": 5},
        {"name": ["City"]},
        {"name": "x" * 101},
        {"name": "two\nlines"},
        {"name": "ok", "extra": 1},
        [],
        "name",
    ]
    for body in bad_bodies:
        for method, path in (("POST", "/attributes"), ("PATCH", f"/attributes/{attribute}")):
            response = await client.request(method, f"{base}{path}", json=body, headers=admin)
            error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
            assert error["data"]["errors"], error
    response = await client.post(
        f"{base}/attributes",
        content=b'{"name": "Broken',
        headers={**admin, "content-type": "application/json"},
    )
    assert_error(response, "SCHEMA_VALIDATION_FAILED")
    response = await client.post(
        f"{base}/attributes", content=b"name=City", headers={**admin, "content-type": "text/plain"}
    )
    assert_error(response, "UNSUPPORTED_MEDIA_TYPE")
    assert await attributes(client, admin, base) == [{"id": attribute, "name": "City"}]


async def test_at_most_fifty_attributes(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    for index in range(50):
        await create_attribute(client, admin, base, f"attribute {index}")
    error = assert_error(
        await client.post(f"{base}/attributes", json={"name": "one too many"}, headers=admin),
        "UNPROCESSABLE_ENTITY",
    )
    assert error["data"] == {"limit": 50, "kind": "attribute", "count": 51}
    assert len(await attributes(client, admin, base)) == 50


async def test_deleting_an_attribute_removes_its_values_from_every_variant(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    city = await create_attribute(client, admin, base, "City")
    phone = await create_attribute(client, admin, base, "Phone")
    for name, values in (("London", {city: "London", phone: "020"}), ("Paris", {city: "Paris"})):
        response = await client.post(
            f"{base}/variants", json={"name": name, "attributeValues": {"values": values}}, headers=admin
        )
        assert response.status_code == 201, response.text
    assert (await client.delete(f"{base}/attributes/{city}", headers=admin)).status_code == 200
    variants = (await client.get(f"{base}/variants", headers=admin)).json()["variants"]
    assert [v["attributeValues"]["values"] for v in variants] == [{phone: "020"}, {}]


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
    attribute = await create_attribute(client, admin, base, "City")
    calls = [
        Call("GET", "/attributes", write=False),
        Call("POST", "/attributes", write=True, json={"name": "Country"}),
        Call("PATCH", f"/attributes/{attribute}", write=True, json={"name": "Town"}),
        Call("DELETE", f"/attributes/{attribute}", write=True),
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
    assert await attributes(client, admin, base) == [{"id": attribute, "name": "City"}]

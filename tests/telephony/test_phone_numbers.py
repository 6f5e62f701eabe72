"""Phone numbers: E.164 normalisation, all-or-nothing imports, routing, lookups and releases."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent
from tests.telephony.support import create_connector, get_number, import_numbers, numbers_path


async def listed(client: httpx.AsyncClient, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    response = await client.get(numbers_path() + query, headers=headers)
    assert response.status_code == 200, response.text
    numbers: list[dict[str, Any]] = response.json()["phoneNumbers"]
    return numbers


async def test_import_normalises_to_e164(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    imported = await import_numbers(
        client, admin, ["+44 20 7946 0958", " +1 (415) 555-2671 ", "+442079460958", "+33.1.23.45.67.89"]
    )
    # Duplicates after normalisation count once.
    assert imported == ["+442079460958", "+14155552671", "+33123456789"]
    numbers = await listed(client, admin)
    assert [n["number"] for n in numbers] == ["+14155552671", "+33123456789", "+442079460958"]
    first = numbers[0]
    assert first == {
        "number": "+14155552671",
        "projectId": agent,
        "accountId": "default",
        "clientEnv": "live",
        "createdAt": first["createdAt"],
    }


async def test_routing_on_import(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    live = await create_connector(client, admin, name="Live")
    sandbox_a = await create_connector(client, admin, name="Sandbox A", clientEnv="sandbox")
    await create_connector(client, admin, name="Sandbox B", clientEnv="sandbox")
    # The environment's only connector takes the number; with two, none is guessed.
    await import_numbers(client, admin, ["+442079460958"])
    await import_numbers(client, admin, ["+14155552671"], clientEnv="sandbox")
    # A named connector decides, and its environment with it.
    await import_numbers(client, admin, ["+33123456789"], connectorId=sandbox_a["connectorId"])
    by_number = {n["number"]: n for n in await listed(client, admin)}
    assert (by_number["+442079460958"]["connectorId"], by_number["+442079460958"]["clientEnv"]) == (
        live["connectorId"],
        "live",
    )
    assert (
        "connectorId" not in by_number["+14155552671"] and by_number["+14155552671"]["clientEnv"] == "sandbox"
    )
    assert (by_number["+33123456789"]["connectorId"], by_number["+33123456789"]["clientEnv"]) == (
        sandbox_a["connectorId"],
        "sandbox",
    )
    filtered = await listed(client, admin, f"?connectorId={sandbox_a['connectorId']}")
    assert [n["number"] for n in filtered] == ["+33123456789"]

    error = assert_error(
        await client.post(
            numbers_path(),
            json={
                "phoneNumbers": ["+61491570156"],
                "clientEnv": "live",
                "connectorId": sandbox_a["connectorId"],
            },
            headers=admin,
        ),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert error["data"]["errors"][0]["path"] == "/body/clientEnv"
    for connector_id in ("CONNECTOR-MISSING1", "nope"):
        assert_error(
            await client.post(
                numbers_path(),
                json={"phoneNumbers": ["+61491570156"], "connectorId": connector_id},
                headers=admin,
            ),
            "PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST",
        )
        assert_error(
            await client.get(f"{numbers_path()}?connectorId={connector_id}", headers=admin),
            "PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST",
        )
    assert_error(await get_number(client, admin, "+61491570156"), "PHONE_NUMBERS_NOT_FOUND")


async def test_invalid_numbers_are_all_named_and_nothing_is_imported(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    bad = [
        "020 7946 0958",
        "12345",
        "not a number",
        "+1-800-FLOWERS",
        "+44 20 7946 0958; DROP TABLE telephony_phone_number",
        "tel:+442079460958",
        "+44 20 7946 0958 ext. 12",
        "+999 123",
        "+1 555 0100",
        "",
        "+" + "9" * 100_000,
        "+\uff14\uff14 \uff12\uff10 \uff17\uff19\uff14\uff16 \uff10\uff19\uff15\uff18",  # full-width digits
    ]
    response = await client.post(
        numbers_path(), json={"phoneNumbers": ["+442079460958", *bad]}, headers=admin
    )
    error = assert_error(response, "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT")
    reported = error["data"]["invalidPhoneNumbers"]
    assert len(reported) == len(bad) and reported[:4] == bad[:4]
    assert max(len(r) for r in reported) <= 67  # echoed back, but bounded
    assert await listed(client, admin) == []


BAD_IMPORTS: list[dict[str, Any]] = [
    {},
    {"phoneNumbers": []},
    {"phoneNumbers": "+442079460958"},
    {"phoneNumbers": [442079460958]},
    {"phoneNumbers": ["+442079460958"], "clientEnv": "production"},
    {"phoneNumbers": ["+442079460958"], "extra": True},
    {"phoneNumbers": ["+442079460958"] * 1001},
]


async def test_malformed_import_bodies(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    for body in BAD_IMPORTS:
        assert_error(await client.post(numbers_path(), json=body, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert await listed(client, admin) == []


async def test_a_number_exists_once_in_the_whole_server(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], agent: str
) -> None:
    await import_numbers(client, admin, ["+442079460958"])
    error = assert_error(
        await client.post(
            numbers_path(), json={"phoneNumbers": ["+14155552671", "+44 20 7946 0958"]}, headers=admin
        ),
        "PHONE_NUMBERS_ALREADY_EXISTS",
    )
    assert error["data"]["phoneNumbers"] == ["+442079460958"]
    assert_error(
        await client.post(f"{numbers_path()}/%2B442079460958", headers=admin), "PHONE_NUMBERS_ALREADY_EXISTS"
    )
    # All or nothing: the new number of the refused batch was not imported.
    assert [n["number"] for n in await listed(client, admin)] == ["+442079460958"]

    await create_agent(client, admin, "default", "spa")
    assert_error(
        await client.post(numbers_path("spa"), json={"phoneNumbers": ["+442079460958"]}, headers=admin),
        "PHONE_NUMBERS_ALREADY_EXISTS",
    )
    other = await account_admin(client, operator, "otherco")
    await create_agent(client, other, "otherco", "other-agent")
    error = assert_error(
        await client.post(
            numbers_path("other-agent"), json={"phoneNumbers": ["+442079460958"]}, headers=other
        ),
        "PHONE_NUMBERS_ALREADY_EXISTS",
    )
    # Which agent or account holds it is not revealed.
    assert agent not in error["message"] and "default" not in error["message"]


async def test_single_import_accepts_encoded_plus(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    sandbox = await create_connector(client, admin, clientEnv="sandbox")
    cases = [
        ("%2B442079460958", None, "+442079460958", "live"),
        ("+14155552671", {"clientEnv": "sandbox"}, "+14155552671", "sandbox"),
        ("%2B33%201%2023%2045%2067%2089", {"connectorId": sandbox["connectorId"]}, "+33123456789", "sandbox"),
    ]
    for path_number, body, expected, env in cases:
        response = await client.post(f"{numbers_path()}/{path_number}", json=body, headers=admin)
        assert response.status_code == 201, response.text
        assert response.json() == {"imported": expected}
        assert (await get_number(client, admin, expected)).json()["clientEnv"] == env
    assert_error(
        await client.post(f"{numbers_path()}/0207946%200958", headers=admin),
        "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT",
    )
    assert_error(
        await client.post(
            f"{numbers_path()}/%2B61491570156", json={"connectorId": "CONNECTOR-MISSING1"}, headers=admin
        ),
        "PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST",
    )
    assert_error(
        await client.post(f"{numbers_path()}/%2B61491570156", json={"clientEnv": "staging"}, headers=admin),
        "SCHEMA_VALIDATION_FAILED",
    )


async def test_get_and_batch_get(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    await import_numbers(client, admin, ["+442079460958", "+14155552671"])
    await create_agent(client, admin, "default", "spa")
    await import_numbers(client, admin, ["+33123456789"], agent="spa")
    for form in ("%2B442079460958", "+442079460958", "%2B44%2020%207946%200958"):
        response = await client.get(f"{numbers_path()}/{form}", headers=admin)
        assert response.status_code == 200 and response.json()["number"] == "+442079460958"
    assert_error(
        await get_number(client, admin, "+33123456789"), "PHONE_NUMBERS_NOT_FOUND"
    )  # another agent's
    assert_error(await get_number(client, admin, "+61491570156"), "PHONE_NUMBERS_NOT_FOUND")
    assert_error(
        await client.get(f"{numbers_path()}/abc", headers=admin), "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"
    )
    assert_error(
        await client.get(f"{numbers_path()}/%00", headers=admin), "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"
    )

    batch = f"{numbers_path()}/batch"
    response = await client.post(
        batch,
        json={"phoneNumbers": ["+1 415 555 2671", "+33123456789", "+61491570156", "+14155552671"]},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    assert [n["number"] for n in response.json()["found"]] == ["+14155552671"]
    assert response.json()["notFound"] == ["+33123456789", "+61491570156"]
    error = assert_error(
        await client.post(batch, json={"phoneNumbers": ["+14155552671", "oops"]}, headers=admin),
        "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT",
    )
    assert error["data"]["invalidPhoneNumbers"] == ["oops"]
    assert_error(
        await client.post(batch, json={"phoneNumbers": []}, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )


async def test_batch_delete_reports_each_number(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    await import_numbers(client, admin, ["+442079460958", "+14155552671", "+33123456789"])
    response = await client.request(
        "DELETE",
        numbers_path(),
        json={
            "phoneNumbers": ["+44 20 7946 0958", "+442079460958", "+61491570156", "garbage", "+14155552671"]
        },
        headers=admin,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["deleted"] == ["+442079460958", "+14155552671"]
    assert [(e["phoneNumber"], e["errorCode"]) for e in body["errors"]] == [
        ("garbage", "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT"),
        ("+61491570156", "PHONE_NUMBERS_NOT_FOUND"),
    ]
    assert all(e["error"] for e in body["errors"])
    assert [n["number"] for n in await listed(client, admin)] == ["+33123456789"]
    clean = await client.request(
        "DELETE", numbers_path(), json={"phoneNumbers": ["+33123456789"]}, headers=admin
    )
    assert clean.json() == {"deleted": ["+33123456789"]}  # no "errors" when there are none
    for bad in ({}, {"phoneNumbers": []}, {"phoneNumbers": "x"}):
        assert_error(
            await client.request("DELETE", numbers_path(), json=bad, headers=admin),
            "SCHEMA_VALIDATION_FAILED",
        )


async def test_single_delete(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    await import_numbers(client, admin, ["+442079460958"])
    response = await client.delete(f"{numbers_path()}/%2B44%2020%207946%200958", headers=admin)
    assert response.status_code == 200 and response.json() == {"deleted": "+442079460958"}
    assert_error(
        await client.delete(f"{numbers_path()}/%2B442079460958", headers=admin), "PHONE_NUMBERS_NOT_FOUND"
    )
    assert_error(
        await client.delete(f"{numbers_path()}/12", headers=admin),
        "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT",
    )


async def test_reassign(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    live = await create_connector(client, admin, name="Live")
    sandbox = await create_connector(client, admin, name="Sandbox", clientEnv="sandbox")
    await import_numbers(client, admin, ["+442079460958"])
    path = f"{numbers_path()}/%2B442079460958"
    response = await client.patch(path, json={"connectorId": sandbox["connectorId"]}, headers=admin)
    assert response.status_code == 200, response.text
    assert (response.json()["connectorId"], response.json()["clientEnv"]) == (
        sandbox["connectorId"],
        "sandbox",
    )
    assert (await get_number(client, admin, "+442079460958")).json()["connectorId"] == sandbox["connectorId"]

    await create_agent(client, admin, "default", "spa")
    foreign = await create_connector(client, admin, agent="spa")
    for connector_id in ("CONNECTOR-MISSING1", foreign["connectorId"], "%00"):
        assert_error(
            await client.patch(path, json={"connectorId": connector_id}, headers=admin),
            "PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST",
        )
    assert_error(
        await client.patch(
            f"{numbers_path()}/%2B14155552671", json={"connectorId": live["connectorId"]}, headers=admin
        ),
        "PHONE_NUMBERS_NOT_FOUND",
    )
    for bad in ({}, {"connectorId": None}, {"connectorId": ""}, {"connectorId": 5}):
        assert_error(await client.patch(path, json=bad, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert (await get_number(client, admin, "+442079460958")).json()["connectorId"] == sandbox["connectorId"]

"""Connectors: shape, hashed tokens and rotation, partial updates, moves, cascades, batches, lookup."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from parley.models import Connector
from parley.telephony.service import connector_for_token
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_agent
from tests.telephony.support import (
    connectors_path,
    create_connector,
    get_number,
    import_numbers,
    numbers_path,
)

CONNECTOR_FIELDS = {
    "connectorId",
    "name",
    "accountId",
    "projectId",
    "clientEnv",
    "variantId",
    "asrLangCode",
    "ttsLangCode",
    "voiceName",
    "disableHandoff",
    "allowedHosts",
    "tokenHint",
    "createdAt",
    "updatedAt",
}


async def connector(client: httpx.AsyncClient, headers: dict[str, str], connector_id: str) -> dict[str, Any]:
    response = await client.get(f"{connectors_path()}/{connector_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def resolves(app: FastAPI, project_id: str, token: str) -> str | None:
    async with app.state.sessionmaker() as session:
        found = await connector_for_token(session, project_id, token)
        return found.id if found is not None else None


async def test_create_shows_the_token_once(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    created = await create_connector(
        client,
        admin,
        name="  Reception 東京 📞  ",
        clientEnv="sandbox",
        voiceName="en-GB-Neural2-A",
        asrLangCode="en-GB",
        allowedHosts=["Shop.Example.com", "shop.example.com", "localhost:8080", "com.example.app"],
        disableHandoff=True,
    )
    assert set(created) == CONNECTOR_FIELDS | {"token"}
    assert created["connectorId"].startswith("CONNECTOR-") and len(created["connectorId"]) == 18
    assert created["token"].startswith("ct_") and len(created["token"]) > 40
    assert created["tokenHint"] == f"{created['token'][:3]}...{created['token'][-4:]}"
    assert created["name"] == "Reception 東京 📞"
    assert (created["accountId"], created["projectId"], created["clientEnv"]) == ("default", agent, "sandbox")
    # tts language derived from the voice name's prefix; unassigned variant is "".
    assert (created["voiceName"], created["ttsLangCode"], created["variantId"]) == (
        "en-GB-Neural2-A",
        "en-GB",
        "",
    )
    assert created["allowedHosts"] == ["shop.example.com", "localhost:8080", "com.example.app"]
    assert created["disableHandoff"] is True

    shown = await connector(client, admin, created["connectorId"])
    assert "token" not in shown and shown == {k: v for k, v in created.items() if k != "token"}
    listed = (await client.get(connectors_path(), headers=admin)).json()["connectors"]
    assert [c["connectorId"] for c in listed] == [created["connectorId"]] and "token" not in listed[0]

    defaults = await create_connector(client, admin)
    assert (defaults["asrLangCode"], defaults["voiceName"], defaults["ttsLangCode"]) == ("", "", "")
    assert defaults["allowedHosts"] == [] and defaults["disableHandoff"] is False


async def test_tokens_are_stored_hashed_and_checked_per_project(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, app: FastAPI
) -> None:
    created = await create_connector(client, admin)
    token = created["token"]
    async with app.state.sessionmaker() as session:
        row = (await session.scalars(select(Connector).where(Connector.id == created["connectorId"]))).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(row, column.key)) for column in Connector.__table__.columns]
    assert not any(token in value for value in stored)

    assert await resolves(app, agent, token) == created["connectorId"]
    await create_agent(client, admin, "default", "other")
    assert await resolves(app, "other", token) is None
    for wrong in (
        "",
        token[:-1],
        token + "x",
        "ct_" + "A" * 43,
        "x" * 10_000,
        "pk_test_admin_0123456789abcdefghijklm",
    ):
        assert await resolves(app, agent, wrong) is None


async def test_rotate_token_revokes_the_old_one(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, app: FastAPI
) -> None:
    created = await create_connector(client, admin)
    response = await client.post(f"{connectors_path()}/{created['connectorId']}/rotate-token", headers=admin)
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["connectorId"] == created["connectorId"] and rotated["token"] != created["token"]
    assert rotated["tokenHint"] != created["tokenHint"]
    assert await resolves(app, agent, created["token"]) is None
    assert await resolves(app, agent, rotated["token"]) == created["connectorId"]
    assert_error(
        await client.post(f"{connectors_path()}/CONNECTOR-NOTHERE/rotate-token", headers=admin),
        "CONNECTORS_NOT_FOUND",
    )


async def test_patch_changes_only_what_is_sent(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    created = await create_connector(
        client,
        admin,
        variantId="VARIANT-1",
        voiceName="en-US-Neural2-F",
        asrLangCode="en-US",
        allowedHosts=["a.com"],
    )
    path = f"{connectors_path()}/{created['connectorId']}"
    response = await client.patch(path, json={"asrLangCode": "fr-FR", "name": "Renamed"}, headers=admin)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["asrLangCode"], updated["name"]) == ("fr-FR", "Renamed")
    assert (updated["variantId"], updated["voiceName"], updated["allowedHosts"]) == (
        "VARIANT-1",
        "en-US-Neural2-F",
        ["a.com"],
    )

    cleared = (
        await client.patch(
            path,
            json={"variantId": None, "voiceName": None, "allowedHosts": None, "disableHandoff": None},
            headers=admin,
        )
    ).json()
    assert (cleared["variantId"], cleared["voiceName"], cleared["ttsLangCode"]) == ("", "", "")
    assert cleared["allowedHosts"] == [] and cleared["disableHandoff"] is False
    assert cleared["asrLangCode"] == "fr-FR" and cleared["name"] == "Renamed"
    unchanged = await client.patch(path, json={}, headers=admin)
    assert unchanged.status_code == 200 and unchanged.json()["asrLangCode"] == "fr-FR"


BAD_UPDATES: list[tuple[dict[str, Any], str]] = [
    ({"name": None}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "tab\there"}, "name"),
    ({"projectId": None}, "projectId"),
    ({"voiceName": "Neural2"}, "voiceName"),
    ({"voiceName": "en-US"}, "voiceName"),
    ({"asrLangCode": "english"}, "asrLangCode"),
    ({"variantId": "a b"}, "variantId"),
    ({"allowedHosts": ["https://shop.example.com"]}, "allowedHosts"),
    ({"allowedHosts": ["shop.example.com/path"]}, "allowedHosts"),
    ({"allowedHosts": ["*"]}, "allowedHosts"),
    ({"allowedHosts": ["bücher.de"]}, "allowedHosts"),
    ({"allowedHosts": ["a" * 300]}, "allowedHosts"),
    ({"disableHandoff": "yes"}, "disableHandoff"),
    ({"disableHandoff": 1}, "disableHandoff"),
    ({"allowedHosts": "a.com"}, "allowedHosts"),
    ({"allowedHosts": [f"h{i}.com" for i in range(101)]}, "allowedHosts"),
    ({"voiceName": "x" * 5000}, "voiceName"),
    ({"clientEnv": "sandbox"}, "clientEnv"),
    ({"token": "mine"}, "token"),
]


async def test_patch_refuses_bad_values(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    created = await create_connector(client, admin, name="Keep")
    path = f"{connectors_path()}/{created['connectorId']}"
    for body, field in BAD_UPDATES:
        error = assert_error(
            await client.patch(path, json=body, headers=admin), "CONNECTORS_VALIDATION_FAILED"
        )
        assert error["data"]["errors"][0]["path"].startswith(f"/body/{field}"), (body, error)
    after = await connector(client, admin, created["connectorId"])
    assert after == {k: v for k, v in created.items() if k != "token"}


BAD_CREATES: list[dict[str, Any]] = [
    {},
    {"name": "x"},
    {"clientEnv": "live"},
    {"name": "x", "clientEnv": "production"},
    {"name": "x", "clientEnv": "draft"},
    {"name": "", "clientEnv": "live"},
    {"name": "x" * 201, "clientEnv": "live"},
    {"name": 5, "clientEnv": "live"},
    {"name": ["x"], "clientEnv": "live"},
    {"name": "x", "clientEnv": "live", "allowedHosts": [1]},
    {"name": "x", "clientEnv": "live", "connectorId": "CONNECTOR-MINE0000"},
    {"name": "null\u0000byte", "clientEnv": "live"},
    {"name": "bell\u0007", "clientEnv": "live"},
]


async def test_create_refuses_bad_bodies(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    for body in BAD_CREATES:
        response = await client.post(connectors_path(), json=body, headers=admin)
        assert_error(response, "CONNECTORS_VALIDATION_FAILED")
    assert (await client.get(connectors_path(), headers=admin)).json() == {"connectors": []}


async def test_malformed_json_and_content_type(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    response = await client.post(
        connectors_path(), content='{"name": "x", ', headers={**admin, "content-type": "application/json"}
    )
    assert_error(response, "CONNECTORS_VALIDATION_FAILED")
    response = await client.post(
        connectors_path(),
        content="name=x&clientEnv=live",
        headers={**admin, "content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, "UNSUPPORTED_MEDIA_TYPE")


async def test_injection_looking_names_are_plain_text(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    names = [
        "'; DROP TABLE telephony_connector; --",
        "<img src=x onerror=alert(1)>",
        "{{fn:steal}} ${jndi:ldap://x}",
    ]
    for name in names:
        assert (await create_connector(client, admin, name=name))["name"] == name
    listed = (await client.get(connectors_path(), headers=admin)).json()["connectors"]
    assert sorted(c["name"] for c in listed) == sorted(names)


async def test_unknown_connector(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    for connector_id in ["CONNECTOR-NOTHERE", "nope", "CONNECTOR-", "%00", "x" * 500, "' OR 1=1 --"]:
        path = f"{connectors_path()}/{connector_id}"
        assert_error(await client.get(path, headers=admin), "CONNECTORS_NOT_FOUND")
        assert_error(await client.patch(path, json={"name": "x"}, headers=admin), "CONNECTORS_NOT_FOUND")
        assert_error(await client.delete(path, headers=admin), "CONNECTORS_NOT_FOUND")


async def test_delete_releases_its_numbers(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    doomed = await create_connector(client, admin, name="Doomed")
    kept = await create_connector(client, admin, name="Kept")
    await import_numbers(client, admin, ["+442079460958", "+14155552671"], connectorId=doomed["connectorId"])
    await import_numbers(client, admin, ["+33123456789"], connectorId=kept["connectorId"])

    response = await client.delete(f"{connectors_path()}/{doomed['connectorId']}", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "deletedConnector": doomed["connectorId"],
        "deletedPhoneNumbers": ["+14155552671", "+442079460958"],
    }
    assert_error(await get_number(client, admin, "+442079460958"), "PHONE_NUMBERS_NOT_FOUND")
    assert (await get_number(client, admin, "+33123456789")).status_code == 200
    assert [
        c["connectorId"] for c in (await client.get(connectors_path(), headers=admin)).json()["connectors"]
    ] == [kept["connectorId"]]
    assert_error(
        await client.delete(f"{connectors_path()}/{doomed['connectorId']}", headers=admin),
        "CONNECTORS_NOT_FOUND",
    )
    # Released numbers can be imported again.
    assert await import_numbers(client, admin, ["+442079460958"]) == ["+442079460958"]


async def test_move_to_another_agent_takes_the_numbers(
    client: httpx.AsyncClient, admin: dict[str, str], operator: dict[str, str], agent: str, app: FastAPI
) -> None:
    await create_agent(client, admin, "default", "spa")
    moving = await create_connector(client, admin)
    await import_numbers(client, admin, ["+442079460958"], connectorId=moving["connectorId"])
    path = f"{connectors_path()}/{moving['connectorId']}"

    # Not to another tenant's agent: it does not exist as far as this key knows.
    rival = await account_admin(client, operator, "rival")
    await create_agent(client, rival, "rival", "rival-agent")
    error = assert_error(
        await client.patch(path, json={"projectId": "rival-agent"}, headers=admin), "PROJECT_NOT_FOUND"
    )
    assert "rival-agent" in error["message"]
    assert (await connector(client, admin, moving["connectorId"]))["projectId"] == agent

    moved = await client.patch(path, json={"projectId": "spa", "name": "Spa line"}, headers=admin)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["projectId"], moved.json()["name"]) == ("spa", "Spa line")
    assert_error(await client.get(path, headers=admin), "CONNECTORS_NOT_FOUND")
    assert (
        await client.get(f"{connectors_path('spa')}/{moving['connectorId']}", headers=admin)
    ).status_code == 200
    assert_error(await get_number(client, admin, "+442079460958"), "PHONE_NUMBERS_NOT_FOUND")
    number = await get_number(client, admin, "+442079460958", agent="spa")
    assert number.json()["connectorId"] == moving["connectorId"]
    assert await resolves(app, "spa", moving["token"]) == moving["connectorId"]
    assert await resolves(app, agent, moving["token"]) is None


async def test_batch_get(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    first = await create_connector(client, admin, name="First")
    second = await create_connector(client, admin, name="Second")
    await create_agent(client, admin, "default", "spa")
    elsewhere = await create_connector(client, admin, agent="spa")
    ids = [
        second["connectorId"],
        "CONNECTOR-MISSING1",
        first["connectorId"],
        second["connectorId"],
        elsewhere["connectorId"],
        "%00",
    ]
    response = await client.post(f"{connectors_path()}/batch", json={"connectorIds": ids}, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [c["connectorId"] for c in body["found"]] == [second["connectorId"], first["connectorId"]]
    assert body["notFound"] == ["CONNECTOR-MISSING1", elsewhere["connectorId"], "%00"]
    assert all("token" not in c for c in body["found"])
    for bad in ({}, {"connectorIds": []}, {"connectorIds": "CONNECTOR-X"}, {"connectorIds": [1]}):
        assert_error(
            await client.post(f"{connectors_path()}/batch", json=bad, headers=admin),
            "CONNECTORS_VALIDATION_FAILED",
        )


async def test_batch_update_is_applied_item_by_item(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    first = await create_connector(client, admin, name="First")
    second = await create_connector(client, admin, name="Second", voiceName="en-US-Neural2-A")
    updates = [
        {"connectorId": first["connectorId"], "voiceName": "de-DE-Wavenet-B", "variantId": "VARIANT-9"},
        {"connectorId": "CONNECTOR-MISSING1", "asrLangCode": "en-US"},
        {"connectorId": second["connectorId"], "voiceName": "not a voice", "asrLangCode": "de-DE"},
        {"connectorId": second["connectorId"], "projectId": "nowhere"},
        {"connectorId": second["connectorId"], "variantId": None},
    ]
    response = await client.patch(f"{connectors_path()}/batch", json={"updates": updates}, headers=admin)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["connectorId"], r["success"]) for r in results] == [
        (first["connectorId"], True),
        ("CONNECTOR-MISSING1", False),
        (second["connectorId"], False),
        (second["connectorId"], False),
        (second["connectorId"], True),
    ]
    assert results[0]["data"]["ttsLangCode"] == "de-DE" and "error" not in results[0]
    assert [r.get("errorCode") for r in results[1:4]] == [
        "CONNECTORS_NOT_FOUND",
        "CONNECTORS_VALIDATION_FAILED",
        "PROJECT_NOT_FOUND",
    ]
    assert "voiceName" in results[2]["error"] and "data" not in results[2]
    # The failed item changed nothing, not even its valid field.
    after = await connector(client, admin, second["connectorId"])
    assert (after["voiceName"], after["asrLangCode"], after["projectId"]) == ("en-US-Neural2-A", "", agent)
    assert (await connector(client, admin, first["connectorId"]))["variantId"] == "VARIANT-9"

    for bad in (
        {},
        {"updates": []},
        {"updates": [{"voiceName": "en-US-Neural2-A"}]},
        {"updates": [{"connectorId": 3}]},
    ):
        assert_error(
            await client.patch(f"{connectors_path()}/batch", json=bad, headers=admin),
            "CONNECTORS_VALIDATION_FAILED",
        )


async def test_lookup_by_phone_number(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    live = await create_connector(client, admin, name="Live")
    await import_numbers(client, admin, ["+44 20 7946 0958"])  # the only live connector: routed to it
    await import_numbers(client, admin, ["+14155552671"], clientEnv="sandbox")  # no sandbox connector
    lookup = f"{connectors_path()}/lookup"
    found = await client.post(lookup, json={"phoneNumber": "+44 (20) 7946-0958"}, headers=admin)
    assert found.status_code == 200, found.text
    assert found.json()["connectorId"] == live["connectorId"] and "token" not in found.json()
    assert_error(
        await client.post(lookup, json={"phoneNumber": "+14155552671"}, headers=admin), "CONNECTORS_NOT_FOUND"
    )
    assert_error(
        await client.post(lookup, json={"phoneNumber": "+33123456789"}, headers=admin), "CONNECTORS_NOT_FOUND"
    )
    error = assert_error(
        await client.post(lookup, json={"phoneNumber": "020 7946 0958"}, headers=admin),
        "PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT",
    )
    assert error["data"]["invalidPhoneNumbers"] == ["020 7946 0958"]
    for bad in ({}, {"phoneNumber": 442079460958}, {"phoneNumber": None}):
        assert_error(await client.post(lookup, json=bad, headers=admin), "CONNECTORS_VALIDATION_FAILED")
    assert (await client.get(numbers_path(), headers=admin)).status_code == 200

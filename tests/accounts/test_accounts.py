"""Accounts: creation rules (invalid, too similar, existing), lookup, operator-only creation."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support.envelope import assert_error
from tests.support.factories import create_account, key_header


async def test_create_returns_account_admin_user_and_key(
    client: httpx.AsyncClient, operator: dict[str, str]
) -> None:
    created = await create_account(client, operator, "acme42", "Acme Ltd")
    assert created["account"]["accountId"] == "acme42"
    assert created["account"]["name"] == "Acme Ltd"
    assert created["account"]["region"] == "us-1"
    assert created["adminUser"]["role"] == "admin"
    assert created["adminKey"]["role"] == "admin" and created["adminKey"]["key"].startswith("pk_")
    admin = key_header(created["adminKey"]["key"])
    got = await client.get("/v1/accounts/acme42", headers=admin)
    assert got.status_code == 200 and got.json()["accountId"] == "acme42"
    assert (await client.get("/v1/accounts/acme42/agents", headers=admin)).json() == []


@pytest.mark.parametrize("bad", ["ab", "a" * 41, "has-dash", "spa ce", "ünïcode", "x;DROP TABLE account", ""])
async def test_invalid_ids(client: httpx.AsyncClient, operator: dict[str, str], bad: str) -> None:
    response = await client.post("/v1/accounts", json={"accountId": bad, "name": "x"}, headers=operator)
    assert_error(response, "ACCOUNT_CREATE_INVALID_ID")


async def test_existing_id_is_409(client: httpx.AsyncClient, operator: dict[str, str]) -> None:
    await create_account(client, operator, "globex")
    response = await client.post("/v1/accounts", json={"accountId": "globex", "name": "x"}, headers=operator)
    assert_error(response, "ACCOUNT_CREATE_EXISTING_ID")


@pytest.mark.parametrize(
    ("existing", "candidate"),
    [
        ("initech", "Initech"),  # equal once lower-cased
        ("initech", "initach"),  # one substitution
        ("initech", "initec"),  # deletion
        ("initech", "initechs"),  # insertion
        ("initech", "inietch"),  # adjacent transposition
        ("abc", "ABC"),  # short ids: only case-insensitive equality
    ],
)
async def test_too_similar_ids(
    client: httpx.AsyncClient, operator: dict[str, str], existing: str, candidate: str
) -> None:
    await create_account(client, operator, existing)
    response = await client.post("/v1/accounts", json={"accountId": candidate, "name": "x"}, headers=operator)
    error = assert_error(response, "ACCOUNT_CREATE_INVALID_ID")
    assert error["data"] == {"similarTo": existing}


@pytest.mark.parametrize(
    ("existing", "candidate"), [("abcd", "abce"), ("initech", "initxyz"), ("initech", "tinitech2")]
)
async def test_distinct_enough_ids_are_accepted(
    client: httpx.AsyncClient, operator: dict[str, str], existing: str, candidate: str
) -> None:
    await create_account(client, operator, existing)
    await create_account(client, operator, candidate)


async def test_only_the_operator_creates_accounts(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post("/v1/accounts", json={"accountId": "rogue1", "name": "x"}, headers=admin)
    assert_error(response, "ACCOUNT_INSUFFICIENT_PERMISSIONS")


async def test_unknown_account(client: httpx.AsyncClient, operator: dict[str, str]) -> None:
    assert_error(await client.get("/v1/accounts/nosuch", headers=operator), "ACCOUNT_NOT_FOUND")
    assert_error(await client.get("/v1/accounts/nosuch/agents", headers=operator), "ACCOUNT_NOT_FOUND")
    response = await client.post(
        "/v1/accounts/nosuch/agents",
        json={"name": "x", "responseSettings": {"greeting": "g"}},
        headers=operator,
    )
    assert_error(response, "ACCOUNT_NOT_FOUND")


async def test_list_accounts(
    client: httpx.AsyncClient, operator: dict[str, str], admin: dict[str, str]
) -> None:
    await create_account(client, operator, "umbrella")
    every = [a["accountId"] for a in (await client.get("/v1/accounts", headers=operator)).json()["accounts"]]
    assert every == ["default", "umbrella"]
    own = [a["accountId"] for a in (await client.get("/v1/accounts", headers=admin)).json()["accounts"]]
    assert own == ["default"]


async def test_concurrent_creates_of_one_id_make_one_account(
    client: httpx.AsyncClient, operator: dict[str, str]
) -> None:
    responses = await asyncio.gather(
        *[
            client.post("/v1/accounts", json={"accountId": "racer1", "name": "x"}, headers=operator)
            for _ in range(4)
        ]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, [r.text for r in responses]
    for response in responses:
        if response.status_code != 201:
            assert_error(response, "ACCOUNT_CREATE_EXISTING_ID")


async def test_create_body_validation(client: httpx.AsyncClient, operator: dict[str, str]) -> None:
    for body in (
        {"accountId": "valid1"},
        {"name": "x"},
        {"accountId": 12345, "name": "x"},
        {"accountId": "ok1", "name": "x", "extra": 1},
    ):
        assert_error(
            await client.post("/v1/accounts", json=body, headers=operator), "SCHEMA_VALIDATION_FAILED"
        )


async def test_users_and_keys_of_a_missing_account(
    client: httpx.AsyncClient, operator: dict[str, str]
) -> None:
    user = {"email": "a@b.c", "name": "A", "role": "viewer"}
    for method, path, body in [
        ("GET", "/v1/accounts/nosuch/users", None),
        ("POST", "/v1/accounts/nosuch/users", user),
        ("GET", "/v1/accounts/nosuch/users/USER-X", None),
        ("GET", "/v1/accounts/nosuch/api-keys", None),
        ("POST", "/v1/accounts/nosuch/api-keys", {"name": "k", "role": "viewer"}),
        ("POST", "/v1/accounts/nosuch/api-keys/KEY-X/rotate", None),
    ]:
        assert_error(await client.request(method, path, json=body, headers=operator), "ACCOUNT_NOT_FOUND")


async def test_concurrent_creates_of_similar_ids_let_one_through(
    client: httpx.AsyncClient, operator: dict[str, str]
) -> None:
    # Each within one edit of every other (case ignored): only one of them may exist.
    candidates = ["umbrella", "Umbrella", "umbrellx", "umbrell"]
    responses = await asyncio.gather(
        *(
            client.post("/v1/accounts", json={"accountId": c, "name": "x"}, headers=operator)
            for c in candidates
        )
    )
    created = [c for c, r in zip(candidates, responses, strict=True) if r.status_code == 201]
    assert len(created) == 1, [r.text for r in responses]
    for candidate, response in zip(candidates, responses, strict=True):
        if candidate not in created:
            error = assert_error(response, "ACCOUNT_CREATE_INVALID_ID")
            assert error["data"] == {"similarTo": created[0]}

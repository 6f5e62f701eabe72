"""Test cases: branch-scoped CRUD with the ADK fields, scripted turns and response assertions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.envelope import assert_error
from tests.testing.conftest import AGENT, scripted


def cases(branch: str, suffix: str = "") -> str:
    return f"/v1/agents/{AGENT}/branches/{branch}/test-cases{suffix}"


async def create(
    client: httpx.AsyncClient, admin: dict[str, str], branch: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(cases(branch), json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_crud_round_trip(client: httpx.AsyncClient, admin: dict[str, str], branch: str) -> None:
    full = scripted(
        "Booking — ünïcödé ✓ 日本",
        channel="voice",
        language="en-GB",
        tags=["smoke", "booking"],
        simulatedAt="2027-03-14T10:00:00+01:00",
        callerNumber="+447911123456",
        sipHeaders={"X-Campaign": "spring"},
        integrationAttributes={"site": "London", "vip": True, "nested": {"n": [1, 2]}},
        promptAssertions=["The agent is polite."],
        functionCallAssertions=[
            {
                "name": "book_room",
                "arguments": [{"parameterName": "nights", "expectedValue": "2", "valueType": "integer"}],
            }
        ],
    )
    created = await create(client, admin, branch, **full)
    assert created["id"].startswith("TEST_CASE-")
    assert created["simulatedAt"] == "2027-03-14T09:00:00Z"  # normalised to UTC
    assert created["functionCallAssertions"][0]["arguments"][0]["valueType"] == "integer"
    assert created["responseAssertions"] == [
        {"type": "contains", "value": "breakfast", "turn": 1, "caseSensitive": False}
    ]
    got = await client.get(cases(branch, f"/{created['id']}"), headers=admin)
    assert got.status_code == 200 and got.json() == created
    listed = await client.get(cases(branch), headers=admin)
    assert listed.json() == {"testCases": [created]}

    patched = await client.patch(
        cases(branch, f"/{created['id']}"), json={"tags": ["only"], "callerNumber": None}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["tags"] == ["only"] and patched.json()["callerNumber"] is None
    assert patched.json()["name"] == full["name"]

    deleted = await client.delete(cases(branch, f"/{created['id']}"), headers=admin)
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await client.get(cases(branch), headers=admin)).json() == {"testCases": []}
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method, cases(branch, f"/{created['id']}"), json={} if method == "PATCH" else None, headers=admin
        )
        assert_error(response, "TEST_CASE_NOT_FOUND")


async def test_duplicate_names_conflict(
    client: httpx.AsyncClient, admin: dict[str, str], branch: str
) -> None:
    await create(client, admin, branch, **scripted("Breakfast hours"))
    # Names are unique after clean_name, like every ADK file name.
    error = assert_error(
        await client.post(cases(branch), json=scripted("breakfast HOURS"), headers=admin),
        "TEST_CASE_NAME_ALREADY_EXISTS",
    )
    assert "'Breakfast hours'" in error["message"]
    other = await create(client, admin, branch, **scripted("Parking"))
    response = await client.patch(
        cases(branch, f"/{other['id']}"), json={"name": "Breakfast hours"}, headers=admin
    )
    assert_error(response, "TEST_CASE_NAME_ALREADY_EXISTS")
    names = [c["name"] for c in (await client.get(cases(branch), headers=admin)).json()["testCases"]]
    assert names == ["Breakfast hours", "Parking"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "x"},  # neither scenario nor userTurns
        {"name": "", "scenario": "s"},
        {"name": "x" * 101, "scenario": "s"},
        {"name": 5, "scenario": "s"},
        {"name": "x", "scenario": "s", "channel": "phone"},
        {"name": "x", "scenario": "s", "language": "english please"},
        {"name": "x", "scenario": "s", "callerNumber": 447911123456},
        {"name": "x", "scenario": "s", "callerNumber": "call me"},
        {"name": "x", "scenario": "s", "simulatedAt": "2027-03-14T10:00:00"},
        {"name": "x", "scenario": "s", "simulatedAt": "tomorrow"},
        {"name": "x", "scenario": "s", "tags": "smoke"},
        {"name": "x", "scenario": "s", "sipHeaders": {"X-A": 1}},
        {"name": "x", "scenario": "s" * 4001},
        {"name": "x", "userTurns": ["hi"] * 51},
        {"name": "x", "userTurns": [""]},
        {"name": "x", "userTurns": "hi"},
        {"name": "x", "userTurns": ["hi"], "responseAssertions": [{"type": "equals", "value": "a"}]},
        {"name": "x", "userTurns": ["hi"], "responseAssertions": [{"type": "regex", "value": "(unclosed"}]},
        {"name": "x", "userTurns": ["hi"], "responseAssertions": [{"type": "contains", "value": ""}]},
        {
            "name": "x",
            "userTurns": ["hi"],
            "responseAssertions": [{"type": "contains", "value": "a", "turn": -1}],
        },
        {
            "name": "x",
            "userTurns": ["hi"],
            "responseAssertions": [{"type": "contains", "value": "a", "turn": "1"}],
        },
        {"name": "x", "scenario": "s", "functionCallAssertions": [{"arguments": []}]},
        {
            "name": "x",
            "scenario": "s",
            "functionCallAssertions": [
                {
                    "name": "book_room",
                    "arguments": [{"parameterName": "n", "expectedValue": "2", "valueType": "date"}],
                }
            ],
        },
        {
            "name": "x",
            "scenario": "s",
            "functionCallAssertions": [
                {
                    "name": "book_room",
                    "arguments": [{"parameterName": "n", "expectedValue": "two", "valueType": "integer"}],
                }
            ],
        },
        {"name": "x", "scenario": "s", "unknownField": True},
    ],
)
async def test_bad_bodies_are_refused_whole(
    client: httpx.AsyncClient, admin: dict[str, str], branch: str, body: dict[str, Any]
) -> None:
    error = assert_error(
        await client.post(cases(branch), json=body, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    assert error["data"]["errors"], error
    assert (await client.get(cases(branch), headers=admin)).json() == {"testCases": []}


async def test_cross_resource_rules(client: httpx.AsyncClient, admin: dict[str, str], branch: str) -> None:
    unknown_function = scripted("f", functionCallAssertions=[{"name": "no_such_function", "arguments": []}])
    error = assert_error(
        await client.post(cases(branch), json=unknown_function, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    assert "Unknown function in assertion: no_such_function" in error["message"]
    assert error["data"]["errors"][0]["path"] == "/body/functionCallAssertions/0/name"

    error = assert_error(
        await client.post(cases(branch), json=scripted("v", variant="Paris"), headers=admin),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert "Variant Paris not found" in error["message"]

    beyond = scripted("t", responseAssertions=[{"turn": 2, "type": "contains", "value": "x"}])
    error = assert_error(
        await client.post(cases(branch), json=beyond, headers=admin), "SCHEMA_VALIDATION_FAILED"
    )
    assert error["data"]["errors"][0]["path"] == "/body/responseAssertions/0/turn"

    # The special functions may be asserted too: they are recorded like any call.
    await create(client, admin, branch, **scripted("s", functionCallAssertions=[{"name": "start_function"}]))
    created = await create(client, admin, branch, **scripted("ok"))
    # An update that would leave the case with nothing to say is refused, and changes nothing.
    response = await client.patch(
        cases(branch, f"/{created['id']}"), json={"scenario": None, "userTurns": None}, headers=admin
    )
    assert_error(response, "SCHEMA_VALIDATION_FAILED")
    response = await client.patch(cases(branch, f"/{created['id']}"), json={"name": None}, headers=admin)
    assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert (await client.get(cases(branch, f"/{created['id']}"), headers=admin)).json() == created


async def test_injection_looking_text_is_just_text(
    client: httpx.AsyncClient, admin: dict[str, str], branch: str
) -> None:
    sneaky = "'; DROP TABLE branch_resource; -- {{fn:book_room}} <script>alert(1)</script>"
    created = await create(
        client, admin, branch, name="Robert'); DROP TABLE test_run;--", scenario=sneaky, userTurns=[sneaky]
    )
    got = (await client.get(cases(branch, f"/{created['id']}"), headers=admin)).json()
    assert got["scenario"] == sneaky and got["userTurns"] == [sneaky]
    assert_error(
        await client.post(cases(branch), json={"name": "nul\u0000", "scenario": "s"}, headers=admin),
        "SCHEMA_VALIDATION_FAILED",
    )
    response = await client.post(
        cases(branch), content=b"{not json", headers={**admin, "content-type": "application/json"}
    )
    assert_error(response, "SCHEMA_VALIDATION_FAILED")
    response = await client.post(
        cases(branch), content=b"name=x", headers={**admin, "content-type": "text/plain"}
    )
    assert_error(response, "UNSUPPORTED_MEDIA_TYPE")


async def test_main_is_read_only_but_readable(
    client: httpx.AsyncClient, admin: dict[str, str], branch: str
) -> None:
    assert_error(await client.post(cases("main"), json=scripted("x"), headers=admin), "BRANCH_MAIN_READ_ONLY")
    assert (await client.get(cases("main"), headers=admin)).json() == {"testCases": []}
    created = await create(client, admin, branch, **scripted("Merged"))
    merged = await client.post(f"/v1/agents/{AGENT}/branches/{branch}/merge", json={}, headers=admin)
    assert merged.status_code == 200, merged.text
    assert merged.json()["testRunIds"] == []  # runOnDeploy is off by default
    on_main = (await client.get(cases("main"), headers=admin)).json()["testCases"]
    assert [c["id"] for c in on_main] == [created["id"]]
    for method in ("PATCH", "DELETE"):
        response = await client.request(
            method, cases("main", f"/{created['id']}"), json={} if method == "PATCH" else None, headers=admin
        )
        assert_error(response, "BRANCH_MAIN_READ_ONLY")
    assert_error(await client.get(cases("BRANCH-NOPE"), headers=admin), "BRANCH_NOT_FOUND")


async def test_roles_and_tenants(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    branch: str,
    viewer: dict[str, str],
    external: dict[str, str],
    intruder: dict[str, str],
) -> None:
    created = await create(client, admin, branch, **scripted("Mine"))
    one = cases(branch, f"/{created['id']}")
    assert (await client.get(one, headers=viewer)).status_code == 200
    assert_error(
        await client.post(cases(branch), json=scripted("v"), headers=viewer), "USER_ACCESS_FORBIDDEN"
    )
    assert_error(await client.patch(one, json={"tags": []}, headers=viewer), "USER_ACCESS_FORBIDDEN")
    assert_error(await client.delete(one, headers=viewer), "USER_ACCESS_FORBIDDEN")
    assert_error(await client.get(cases(branch), headers=external), "EXTERNAL_USER_FORBIDDEN")
    for method, url in (
        ("GET", cases(branch)),
        ("POST", cases(branch)),
        ("GET", one),
        ("PATCH", one),
        ("DELETE", one),
    ):
        body = scripted("x") if method == "POST" else ({} if method == "PATCH" else None)
        assert_error(await client.request(method, url, json=body, headers=intruder), "PROJECT_NOT_FOUND")
    assert_error(await client.get(cases(branch), headers={"x-api-key": "pk_nope"}), "AUTH_USER_UNAUTHORISED")
    assert (await client.get(one, headers=admin)).json() == created

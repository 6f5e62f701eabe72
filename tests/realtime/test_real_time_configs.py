"""Real-time configs: one page per environment, schema upserts, validated shallow merges."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from parley.realtime.service import real_time_variables
from tests.realtime.conftest import BASE
from tests.support.envelope import assert_error
from tests.support.factories import account_admin, create_key, key_header

SCHEMA = {
    "type": "object",
    "properties": {
        "maxRetries": {"type": "integer", "minimum": 0, "maximum": 5},
        "greeting": {"type": "string", "maxLength": 20},
        "flags": {"type": "object", "properties": {"ooh": {"type": "boolean"}}},
        "mode": {"enum": ["day", "night"]},
    },
    "additionalProperties": False,
}


async def put_schema(
    client: httpx.AsyncClient, headers: dict[str, str], env: str, schema: Any
) -> httpx.Response:
    return await client.put(f"{BASE}/{env}/schema", json={"schema": schema}, headers=headers)


async def patch(
    client: httpx.AsyncClient, headers: dict[str, str], env: str, variables: Any
) -> httpx.Response:
    return await client.patch(f"{BASE}/{env}/variables", json={"variables": variables}, headers=headers)


async def page(client: httpx.AsyncClient, headers: dict[str, str], env: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/{env}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_every_environment_has_a_page(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    response = await client.get(BASE, headers=admin)
    assert response.status_code == 200
    pages = response.json()["configPages"]
    assert [p["clientEnv"] for p in pages] == ["sandbox", "pre-release", "live"]
    # Never written: empty schema (accepts anything), no values, no timestamp.
    assert all(p == {"clientEnv": p["clientEnv"], "variables": {}, "schema": {}} for p in pages)
    assert await page(client, admin, "pre-release") == {
        "clientEnv": "pre-release",
        "variables": {},
        "schema": {},
    }


async def test_schema_upsert_and_shallow_merge(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, app: Any
) -> None:
    response = await put_schema(client, admin, "live", SCHEMA)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["schema"] == SCHEMA and created["variables"] == {} and created["lastUpdated"]

    first = await patch(client, admin, "live", {"maxRetries": 3, "flags": {"ooh": True}})
    assert first.status_code == 200, first.text
    assert first.json()["variables"] == {"maxRetries": 3, "flags": {"ooh": True}}
    second = await patch(client, admin, "live", {"greeting": "Hi", "flags": {}})
    # Shallow: top-level keys merge, a nested object is replaced whole.
    assert second.json()["variables"] == {"maxRetries": 3, "greeting": "Hi", "flags": {}}
    assert second.json()["lastUpdated"] >= first.json()["lastUpdated"]
    removed = await patch(client, admin, "live", {"greeting": None, "notThere": None})
    assert removed.json()["variables"] == {"maxRetries": 3, "flags": {}}

    # Upsert: a second PUT replaces the schema; the other environments never saw any of it.
    assert (
        await put_schema(client, admin, "live", {**SCHEMA, "required": ["maxRetries"]})
    ).status_code == 200
    live = await page(client, admin, "live")
    assert live["schema"]["required"] == ["maxRetries"] and live["variables"] == {
        "maxRetries": 3,
        "flags": {},
    }
    assert await page(client, admin, "sandbox") == {"clientEnv": "sandbox", "variables": {}, "schema": {}}

    # What the runtime reads as conv.real_time_config, at once.
    async with app.state.sessionmaker() as session:
        assert await real_time_variables(session, agent, "live") == {"maxRetries": 3, "flags": {}}
        assert await real_time_variables(session, agent, "sandbox") == {}


async def test_variables_report_every_violation_and_change_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    await put_schema(client, admin, "sandbox", SCHEMA)
    assert (await patch(client, admin, "sandbox", {"maxRetries": 1})).status_code == 200
    response = await patch(
        client,
        admin,
        "sandbox",
        {"maxRetries": 9, "greeting": 42, "flags": {"ooh": "yes"}, "mode": "dusk", "extra": 1},
    )
    error = assert_error(response, "REAL_TIME_CONFIG_INVALID_FOR_SCHEMA")
    found = {(e["path"], e["type"]) for e in error["data"]["errors"]}
    assert found == {
        ("/maxRetries", "maximum"),
        ("/greeting", "type"),
        ("/flags/ooh", "type"),
        ("/mode", "enum"),
        ("", "additionalProperties"),
    }
    assert all(e["message"] for e in error["data"]["errors"])
    assert error["data"]["clientEnv"] == "sandbox"
    assert (await page(client, admin, "sandbox"))["variables"] == {"maxRetries": 1}


async def test_a_schema_the_current_values_break_is_refused(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    assert (await patch(client, admin, "live", {"maxRetries": "three", "legacy": True})).status_code == 200
    response = await put_schema(client, admin, "live", SCHEMA)
    error = assert_error(response, "REAL_TIME_CONFIG_INVALID_FOR_SCHEMA")
    assert {e["path"] for e in error["data"]["errors"]} == {"/maxRetries", ""}
    assert (await page(client, admin, "live"))["schema"] == {}
    # The way out: fix or remove the offending values (null removes), then the schema goes in.
    assert (await patch(client, admin, "live", {"maxRetries": 2, "legacy": None})).status_code == 200
    assert (await put_schema(client, admin, "live", SCHEMA)).status_code == 200


INVALID_SCHEMAS: list[tuple[dict[str, Any], str]] = [
    ({"type": "strin"}, "/type"),
    ({"properties": {"a": {"minimum": "3"}}}, "/properties/a/minimum"),
    ({"required": "a"}, "/required"),
    ({"properties": {"a": {"pattern": "(unclosed"}}}, "/properties/a/pattern"),
    ({"$ref": "http://169.254.169.254/latest/meta-data"}, "/$ref"),
    ({"$ref": "file:///etc/passwd"}, "/$ref"),
    ({"properties": {"a": {"$ref": "#/definitions/missing"}}}, "/properties/a/$ref"),
    ({"properties": {"a": {"$id": "http://example.com/a", "type": "string"}}}, "/properties/a/$id"),
]


async def test_invalid_schemas_are_refused(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    for schema, path in INVALID_SCHEMAS:
        error = assert_error(
            await put_schema(client, admin, "live", schema), "REAL_TIME_CONFIG_INVALID_SCHEMA"
        )
        assert error["data"]["errors"][0]["path"] == path, error
    assert (await page(client, admin, "live"))["schema"] == {}


async def test_local_references_and_annotations_are_accepted(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    schema = {
        "$id": "https://example.com/hotel.json",
        "definitions": {"hours": {"type": "integer", "minimum": 0, "maximum": 23}},
        "properties": {
            "opens": {"$ref": "#/definitions/hours"},
            "email": {"type": "string", "format": "email"},
            # "$ref" inside data keywords is data, not a reference.
            "meta": {"const": {"$ref": "http://not-a-reference.example"}},
        },
    }
    assert (await put_schema(client, admin, "live", schema)).status_code == 200
    error = assert_error(
        await patch(client, admin, "live", {"opens": 24}), "REAL_TIME_CONFIG_INVALID_FOR_SCHEMA"
    )
    assert error["data"]["errors"][0]["path"] == "/opens"
    # "format" is an annotation in Draft 7: not asserted.
    assert (await patch(client, admin, "live", {"opens": 9, "email": "not an email"})).status_code == 200


async def test_unknown_client_environment(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    for env in ["production", "draft", "LIVE", "pre_release", "sandbox%20", "%00", "x" * 300]:
        calls = [
            ("GET", f"{BASE}/{env}", None),
            ("PUT", f"{BASE}/{env}/schema", {"schema": {}}),
            ("PATCH", f"{BASE}/{env}/variables", {"variables": {}}),
        ]
        for method, path, body in calls:
            response = await client.request(method, path, json=body, headers=admin)
            assert_error(response, "REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT")


@pytest.mark.parametrize("role", ["viewer", "external"])
async def test_roles_below_editor_are_refused_reads_and_writes(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str, role: str
) -> None:
    key = key_header((await create_key(client, admin, "default", role))["key"])
    calls = [
        client.get(BASE, headers=key),
        client.get(f"{BASE}/live", headers=key),
        client.put(f"{BASE}/live/schema", json={"schema": {}}, headers=key),
        client.patch(f"{BASE}/live/variables", json={"variables": {"a": 1}}, headers=key),
    ]
    for call in calls:
        assert_error(await call, "REAL_TIME_CONFIG_FORBIDDEN_ACCESS")
    assert (await page(client, admin, "live"))["variables"] == {}


async def test_editor_may_read_and_write(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    editor = key_header((await create_key(client, admin, "default", "editor"))["key"])
    assert (await put_schema(client, editor, "sandbox", {"type": "object"})).status_code == 200
    assert (await patch(client, editor, "sandbox", {"a": 1})).status_code == 200
    assert (await page(client, editor, "sandbox"))["variables"] == {"a": 1}


async def test_other_tenants_and_unknown_agents_look_absent(
    client: httpx.AsyncClient, operator: dict[str, str], admin: dict[str, str], agent: str
) -> None:
    assert (await patch(client, admin, "live", {"secret": "s3cr3t"})).status_code == 200
    intruder = await account_admin(client, operator, "intruder")
    for base in (BASE, "/v1/agents/nobody/real-time-configs", "/v1/agents/%00/real-time-configs"):
        calls = [
            client.get(base, headers=intruder),
            client.get(f"{base}/live", headers=intruder),
            client.put(f"{base}/live/schema", json={"schema": {"type": "array"}}, headers=intruder),
            client.patch(f"{base}/live/variables", json={"variables": {"secret": None}}, headers=intruder),
            # Even with a bad environment the agent is checked first: nothing is revealed.
            client.get(f"{base}/nowhere", headers=intruder),
        ]
        for call in calls:
            assert_error(await call, "PROJECT_NOT_FOUND")
    untouched = await page(client, admin, "live")
    assert untouched["variables"] == {"secret": "s3cr3t"} and untouched["schema"] == {}


MALFORMED: list[tuple[str, str, Any]] = [
    ("PUT", "schema", {}),
    ("PUT", "schema", {"schema": "object"}),
    ("PUT", "schema", {"schema": ["type"]}),
    ("PUT", "schema", {"schema": True}),
    ("PUT", "schema", {"schema": {}, "variables": {}}),
    ("PATCH", "variables", {}),
    ("PATCH", "variables", {"variables": [1, 2]}),
    ("PATCH", "variables", {"variables": "a=1"}),
    ("PATCH", "variables", {"variables": None}),
    ("PATCH", "variables", {"vars": {}}),
]


async def test_malformed_bodies(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    for method, suffix, body in MALFORMED:
        response = await client.request(method, f"{BASE}/live/{suffix}", json=body, headers=admin)
        error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
        assert error["data"]["errors"][0]["path"].startswith("/body"), (body, error)
    assert await page(client, admin, "live") == {"clientEnv": "live", "variables": {}, "schema": {}}


async def test_malformed_json_content_type_and_non_finite_numbers(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    json_headers = {**admin, "content-type": "application/json"}
    for raw in ('{"variables": {"a": 1', '{"variables": {"a": NaN}}', '{"variables": {"a": -Infinity}}'):
        response = await client.patch(f"{BASE}/live/variables", content=raw, headers=json_headers)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")
    response = await client.put(
        f"{BASE}/live/schema", content="schema=1", headers={**admin, "content-type": "text/plain"}
    )
    assert_error(response, "UNSUPPORTED_MEDIA_TYPE")
    assert (await page(client, admin, "live"))["variables"] == {}


async def test_size_and_depth_limits(client: httpx.AsyncClient, admin: dict[str, str], agent: str) -> None:
    big = {"description": "x" * (300 * 1024)}
    error = assert_error(await put_schema(client, admin, "live", big), "PAYLOAD_TOO_LARGE")
    assert error["data"]["maxBytes"] == 256 * 1024

    deep: Any = 1
    for _ in range(40):
        deep = {"a": deep}
    error = assert_error(await patch(client, admin, "live", {"deep": deep}), "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"].startswith("/body/variables/deep/a")
    nested: dict[str, Any] = {"type": "integer"}
    for _ in range(70):
        nested = {"not": nested}
    error = assert_error(await put_schema(client, admin, "live", nested), "REAL_TIME_CONFIG_INVALID_SCHEMA")
    assert error["data"]["errors"][0]["type"] == "maxDepth"
    assert error["data"]["errors"][0]["path"].startswith("/body/schema/not/not")

    # Each patch is small; together they pass the limit: the second is refused whole.
    half = "y" * (150 * 1024)
    assert (await patch(client, admin, "live", {"one": half})).status_code == 200
    assert_error(await patch(client, admin, "live", {"two": half}), "PAYLOAD_TOO_LARGE")
    assert list((await page(client, admin, "live"))["variables"]) == ["one"]


async def test_injection_looking_and_unicode_values_are_plain_data(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    variables = {
        "'; DROP TABLE real_time_config; --": "1' OR '1'='1",
        "<script>alert(1)</script>": "{{fn:steal}}",
        "$where": {"$gt": ""},
        "../../etc/passwd": "..\\..\\windows",
        "名前": "こんにちは 👋",
    }
    response = await patch(client, admin, "pre-release", variables)
    assert response.status_code == 200, response.text
    assert (await page(client, admin, "pre-release"))["variables"] == variables
    assert (await client.get("/v1/accounts/default/agents", headers=admin)).status_code == 200


async def test_concurrent_merges_lose_nothing(
    client: httpx.AsyncClient, admin: dict[str, str], agent: str
) -> None:
    # The page row is locked for the read-merge-write: no merge overwrites another's key.
    responses = await asyncio.gather(*(patch(client, admin, "sandbox", {f"k{i}": i}) for i in range(8)))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert (await page(client, admin, "sandbox"))["variables"] == {f"k{i}": i for i in range(8)}

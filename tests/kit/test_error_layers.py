"""Every layer answers with the envelope: routing, methods, parsing, limits, crashes, maintenance."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from parley.config import LimitSettings
from parley.kit.maintenance import disable_maintenance, enable_maintenance
from tests.conftest import make_settings, started_app
from tests.support.envelope import CORRELATION_HEADER, assert_error

AGENT_BODY = {"name": "Hotel", "responseSettings": {"greeting": "Hello"}}


async def test_unknown_route_is_resource_not_found(client: httpx.AsyncClient) -> None:
    error = assert_error(await client.get("/v9/nothing/here"), "RESOURCE_NOT_FOUND")
    assert "/v9/nothing/here" in error["message"]


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.put("/v1/accounts/default/agents", headers=admin, json={})
    assert_error(response, "METHOD_NOT_ALLOWED")
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_malformed_json_is_schema_validation_failed(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/accounts/default/agents",
        headers={**admin, "content-type": "application/json"},
        content=b'{"name": "x", ',
    )
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert "not valid JSON" in error["message"]


async def test_wrong_field_types_report_each_field(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post(
        "/v1/accounts/default/agents",
        headers=admin,
        json={"name": 42, "responseSettings": {"greeting": ""}, "surprise": True},
    )
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    paths = {item["path"] for item in error["data"]["errors"]}
    assert {"/body/name", "/body/responseSettings/greeting", "/body/surprise"} <= paths


async def test_body_that_is_not_an_object(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for body in ([1, 2], "text", None, 3):
        response = await client.post("/v1/accounts/default/agents", headers=admin, json=body)
        assert_error(response, "SCHEMA_VALIDATION_FAILED")


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post(
        "/v1/accounts/default/agents",
        headers={**admin, "content-type": "text/plain"},
        content=json.dumps(AGENT_BODY).encode(),
    )
    assert_error(response, "UNSUPPORTED_MEDIA_TYPE")
    response = await client.post(
        "/v1/accounts/default/agents", headers=admin, data={"name": "form", "responseSettings": "x"}
    )
    assert_error(response, "UNSUPPORTED_MEDIA_TYPE")


async def test_json_with_charset_is_accepted(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post(
        "/v1/accounts/default/agents",
        headers={**admin, "content-type": "application/json; charset=utf-8"},
        content=json.dumps(AGENT_BODY).encode(),
    )
    assert response.status_code == 200, response.text


@pytest.fixture
async def small_app(database_url: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url,
        limits=LimitSettings(max_body_bytes=2048, request_timeout_seconds=1.0, maintenance_cache_seconds=0),
    )
    async for app in started_app(settings):
        yield app


async def test_oversized_body_is_413(small_app: FastAPI, admin: dict[str, str]) -> None:
    big = {**AGENT_BODY, "name": "x" * 5000}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small_app), base_url="http://t") as c:
        declared = await c.post("/v1/accounts/default/agents", headers=admin, json=big)
        error = assert_error(declared, "PAYLOAD_TOO_LARGE")
        assert error["data"] == {"maxBytes": 2048}

        async def chunks() -> AsyncIterator[bytes]:
            # Streamed without Content-Length: the limit is enforced while reading.
            for _ in range(10):
                yield b" " * 1000

        streamed = await c.post(
            "/v1/accounts/default/agents",
            headers={**admin, "content-type": "application/json"},
            content=chunks(),
        )
        assert_error(streamed, "PAYLOAD_TOO_LARGE")
        listed = await c.get("/v1/accounts/default/agents", headers=admin)
        assert listed.json() == []


async def test_slow_request_is_408(small_app: FastAPI) -> None:
    async def slow() -> dict[str, str]:
        await asyncio.sleep(5)
        return {"never": "sent"}

    small_app.add_api_route("/test-only/slow", slow)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small_app), base_url="http://t") as c:
        assert_error(await c.get("/test-only/slow"), "REQUEST_TIMEOUT")


async def test_crash_is_500_without_internals(
    app: FastAPI, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    async def crash() -> None:
        raise RuntimeError("SELECT secret FROM internals")

    app.add_api_route("/test-only/crash", crash)
    response = await client.get("/test-only/crash", headers={CORRELATION_HEADER: "crash-trace-1"})
    error = assert_error(response, "INTERNAL_SERVER_ERROR")
    assert error["correlation_id"] == "crash-trace-1"
    assert "secret" not in response.text and "RuntimeError" not in response.text
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    crash_lines = [line for line in logged if line.get("event") == "unhandled error"]
    assert crash_lines and crash_lines[0]["correlation_id"] == "crash-trace-1"
    assert "SELECT secret" in crash_lines[0]["exception"]


async def test_every_log_line_of_a_request_has_its_correlation_id(
    client: httpx.AsyncClient, admin: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    await client.get("/v1/accounts/default/agents", headers={**admin, CORRELATION_HEADER: "trace-42"})
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    request_lines = [line for line in logged if line.get("event") == "request"]
    assert request_lines and all(line["correlation_id"] == "trace-42" for line in request_lines)
    assert request_lines[-1]["status"] == 200
    assert ADMIN_SECRET_FRAGMENT not in json.dumps(logged)


ADMIN_SECRET_FRAGMENT = "0123456789abcdefghijklm"


async def test_maintenance_mode_is_503_with_retry_after(app: FastAPI, client: httpx.AsyncClient) -> None:
    async with app.state.sessionmaker() as session:
        await enable_maintenance(session, "Upgrading the database", 120)
        await session.commit()
    response = await client.get("/v1/accounts/default/agents")
    error = assert_error(response, "SERVICE_UNAVAILABLE")
    assert response.headers["retry-after"] == "120"
    assert error["message"] == "Upgrading the database"
    assert (await client.get("/health")).status_code == 200
    async with app.state.sessionmaker() as session:
        await disable_maintenance(session)
        await session.commit()
    assert_error(await client.get("/v1/accounts/default/agents"), "AUTH_USER_UNAUTHORISED")


async def test_public_paths_not_served_yet_are_501(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    error = assert_error(await client.get("/v1/alert-rules", headers=admin), "NOT_IMPLEMENTED")
    assert "/v1/alert-rules" in error["message"]
    assert_error(
        await client.post("/v1/webhook-endpoints/whe_abc/rotate-secret", headers=admin), "NOT_IMPLEMENTED"
    )


class TestCorrelationId:
    async def test_generated_when_absent(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/health")
        assert uuid.UUID(response.headers[CORRELATION_HEADER]).version == 4

    async def test_client_id_is_reused_on_success_and_error(self, client: httpx.AsyncClient) -> None:
        ok = await client.get("/health", headers={CORRELATION_HEADER: "abc.DEF_1:2-3"})
        assert ok.headers[CORRELATION_HEADER] == "abc.DEF_1:2-3"
        error = assert_error(
            await client.get("/nope", headers={"x-polyai-correlation-id": "lower-case-ok"}),
            "RESOURCE_NOT_FOUND",
        )
        assert error["correlation_id"] == "lower-case-ok"

    @pytest.mark.parametrize("bad", ["x" * 129, "has space", "semi;colon", "<script>", "ünïcode"])
    async def test_unsafe_client_id_is_replaced(self, client: httpx.AsyncClient, bad: str) -> None:
        response = await client.get("/nope", headers={CORRELATION_HEADER: bad.encode("utf-8")})
        error = assert_error(response, "RESOURCE_NOT_FOUND")
        assert error["correlation_id"] != bad
        assert uuid.UUID(error["correlation_id"]).version == 4

    async def test_max_length_id_is_kept(self, client: httpx.AsyncClient) -> None:
        good = "a" * 128
        assert (await client.get("/health", headers={CORRELATION_HEADER: good})).headers[
            CORRELATION_HEADER
        ] == good


async def test_nul_in_paths_and_queries(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    # An id that cannot exist answers the not-found of what it would name; nothing reaches the store.
    assert_error(await client.get("/v1/agents/%00/branches", headers=admin), "PROJECT_NOT_FOUND")
    assert_error(await client.delete("/v1/agents/a%00b", headers=admin), "PROJECT_NOT_FOUND")
    assert_error(await client.get("/v1/agents/a/branches/b%00/behavior", headers=admin), "BRANCH_NOT_FOUND")
    assert_error(await client.get("/v1/accounts/default/users/u%00", headers=admin), "AUTH_USER_NOT_FOUND")
    response = await client.get("/v1/accounts/default/agents", params={"x": "a\x00"}, headers=admin)
    assert_error(response, "SCHEMA_VALIDATION_FAILED")

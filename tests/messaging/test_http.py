"""POST /api/v1/access-token and POST /api/v1/sessions."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.messaging import tokens
from parley.messaging.hub import hub_of
from parley.models import MessagingEvent, MessagingSession
from tests.conftest import ADMIN_KEY
from tests.messaging.support import (
    ADMIN,
    AGENT,
    HOST,
    Seed,
    TestClient,
    Webchat,
    access_token,
    create_connector,
    in_db,
    ok,
    replay,
    webchat,
    ws_url,
)
from tests.support.envelope import CORRELATION_HEADER, assert_error

TOKEN_URL = "/api/v1/access-token"
SESSIONS_URL = "/api/v1/sessions"


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _exchange(client: TestClient, headers: dict[str, str]) -> Any:
    # Raw UTF-8 bytes, as a careless client would send them (httpx refuses non-ASCII str values).
    return client.post(TOKEN_URL, json={}, headers={k: v.encode() for k, v in headers.items()})


def _count_sessions(client: TestClient) -> tuple[int, int]:
    async def count(session: AsyncSession) -> tuple[int, int]:
        sessions = await session.scalar(select(func.count()).select_from(MessagingSession))
        events = await session.scalar(select(func.count()).select_from(MessagingEvent))
        return int(sessions or 0), int(events or 0)

    return in_db(client, count)


# --- access tokens -------------------------------------------------------------------------------


def test_access_token(seed: Seed, chat: Webchat) -> None:
    response = _exchange(chat.client, {"X-Token": seed.connector_token, "X-Host": HOST})
    body = ok(response)
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
    assert response.headers[CORRELATION_HEADER]
    claims = _claims(body["access_token"])
    assert claims["connector_id"] == seed.connector_id and claims["sub"] == seed.connector_id
    assert (claims["agent_id"], claims["account_id"], claims["client_env"], claims["host"]) == (
        AGENT,
        "default",
        "sandbox",
        HOST,
    )
    assert claims["exp"] - claims["iat"] == 86400 and claims["exp"] > time.time()
    # Header names are case-insensitive; the body is ignored, as PolyAI documents it as {}.
    lower = chat.client.post(TOKEN_URL, headers={"x-token": seed.connector_token, "x-host": HOST})
    assert ok(lower)["token_type"] == "Bearer"


@pytest.mark.parametrize(
    "host",
    ["chat.example.com", "a.b.example.com", "EXAMPLE.COM", "https://www.example.com", "example.com:8443"],
)
def test_subdomains_and_origins_of_an_allowed_host(seed: Seed, chat: Webchat, host: str) -> None:
    token = access_token(chat.client, seed.connector_token, host)
    assert _claims(token)["host"] == host.lower().removeprefix("https://")


@pytest.mark.parametrize(
    "host",
    [
        "badexample.com",
        "example.org",
        "example.com.evil.net",
        "exa mple.com",
        "javascript:alert(1)",
        "例え.jp",
        "x" * 5000,
        "example.com/../../etc/passwd",
        "' OR '1'='1",
    ],
)
def test_host_mismatch(seed: Seed, chat: Webchat, host: str) -> None:
    headers = {"X-Token": seed.connector_token, "X-Host": host}
    error = assert_error(_exchange(chat.client, headers), "AUTH_USER_INVALID_TOKEN")
    assert error["message"] == "Failed to validate connector"


def test_missing_headers(seed: Seed, chat: Webchat) -> None:
    for headers in (
        {},
        {"X-Token": seed.connector_token},
        {"X-Host": HOST},
        {"X-Token": "", "X-Host": HOST},
    ):
        error = assert_error(_exchange(chat.client, headers), "AUTH_USER_INVALID_TOKEN")
        assert error["message"] == "Missing authentication headers"


@pytest.mark.parametrize(
    "token", ["ct_nope", ADMIN_KEY, "ct_" + "x" * 5000, "ct_ünïcode🙂", "' OR 1=1 --", "ct_\u202eevil"]
)
def test_unknown_connector_token(seed: Seed, chat: Webchat, token: str) -> None:
    error = assert_error(
        _exchange(chat.client, {"X-Token": token, "X-Host": HOST}), "AUTH_USER_INVALID_TOKEN"
    )
    assert error["message"] == "Connector token does not exist"


def test_rotated_token_and_connector_without_hosts(seed: Seed, chat: Webchat) -> None:
    client = chat.client
    connector = create_connector(client, allowed_hosts=["shop.test"])
    rotated = ok(
        client.post(
            f"/v1/agents/{AGENT}/telephony/connectors/{connector['connectorId']}/rotate-token",
            headers=ADMIN,
        )
    )
    old = _exchange(client, {"X-Token": connector["token"], "X-Host": "shop.test"})
    assert assert_error(old, "AUTH_USER_INVALID_TOKEN")["message"] == "Connector token does not exist"
    assert access_token(client, rotated["token"], "shop.test")
    hostless = ok(
        client.post(
            f"/v1/agents/{AGENT}/telephony/connectors",
            json={"name": "No hosts", "clientEnv": "sandbox"},
            headers=ADMIN,
        ),
        201,
    )
    error = assert_error(
        _exchange(client, {"X-Token": hostless["token"], "X-Host": HOST}), "AUTH_USER_INVALID_TOKEN"
    )
    assert error["message"] == "Connector missing host domain"


def test_tokens_are_valid_on_every_worker(seed: Seed) -> None:
    """Without PARLEY_MESSAGING_SECRET, workers sharing a database share the stored secret."""
    with webchat(seed) as first, webchat(seed) as second:
        token = access_token(first.client, seed.connector_token)
        session_id = ok(second.client.post(SESSIONS_URL, headers={"Authorization": f"Bearer {token}"}))
        assert uuid.UUID(session_id["session_id"]).version == 4


def test_configured_secret(seed: Seed) -> None:
    secret = SecretStr("a-configured-secret-that-is-long-enough-0123456789")
    other = SecretStr("another-configured-secret-that-is-long-enough-987654")
    with webchat(seed, secret=secret) as first, webchat(seed, secret=other) as second:
        token = access_token(first.client, seed.connector_token)
        assert ok(first.client.post(SESSIONS_URL, headers={"Authorization": f"Bearer {token}"}))
        rejected = second.client.post(SESSIONS_URL, headers={"Authorization": f"Bearer {token}"})
        assert assert_error(rejected, "AUTH_USER_INVALID_TOKEN")["data"] == {"reason": "signature"}


# --- sessions -------------------------------------------------------------------------------------


def test_create_session(seed: Seed, chat: Webchat) -> None:
    bearer = {"Authorization": f"Bearer {chat.token}"}
    plain = ok(chat.client.post(SESSIONS_URL, headers=bearer))
    assert set(plain) == {"session_id"} and uuid.UUID(plain["session_id"]).version == 4
    streaming = ok(
        chat.client.post(
            SESSIONS_URL,
            json={"streaming_enabled": True, "platform": "ios"},
            headers={**bearer, "User-Agent": "Widget/1.0 " + "x" * 1000},
        )
    )
    empty = ok(chat.client.post(SESSIONS_URL, json={}, headers=bearer))
    assert len({plain["session_id"], streaming["session_id"], empty["session_id"]}) == 3

    async def stored(session: AsyncSession) -> MessagingSession | None:
        return await session.get(MessagingSession, streaming["session_id"])

    row = in_db(chat.client, stored)
    assert row is not None
    assert (row.streaming_enabled, row.platform, row.user_agent, row.connector_id, row.status) == (
        True,
        "ios",
        ("Widget/1.0 " + "x" * 1000)[:300],
        seed.connector_id,
        "active",
    )
    with chat.client.websocket_connect(ws_url(streaming["session_id"], chat.token)) as ws:
        start = replay(ws)[0]
    assert start["type"] == "EVENT_TYPE_SESSION_START" and start["sequence"] == 1
    assert start["payload"] == {
        "capabilities": {
            "streaming": True,
            "max_message_size_bytes": 131072,
            "max_reconnect_attempts": 5,
            "heartbeat_interval_seconds": 30,
        }
    }


def test_session_authentication_errors(seed: Seed, chat: Webchat) -> None:
    client = chat.client
    secret = client.portal.call(hub_of(client.app.state).secret.get)  # type: ignore[attr-defined]
    expired, _ = tokens.sign(
        connector_id=seed.connector_id,
        agent_id=AGENT,
        account_id="default",
        client_env="sandbox",
        host=HOST,
        now=int(time.time()) - 100,
        ttl_seconds=10,
        secret=secret,
    )
    header, _payload, signature = chat.token.split(".")
    forged = {**_claims(chat.token), "agent_id": "someone-else"}
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    cases: list[tuple[dict[str, str], str, str | None]] = [
        ({}, "Missing authentication headers", None),
        ({"Authorization": f"Basic {chat.token}"}, "Missing authentication headers", None),
        ({"Authorization": chat.token}, "Missing authentication headers", None),
        ({"Authorization": "Bearer "}, "Missing access token", None),
        ({"Authorization": "Bearer garbage"}, "Invalid access token", "malformed"),
        ({"Authorization": "Bearer " + "x" * 10000}, "Invalid access token", "malformed"),
        (
            {"Authorization": f"Bearer {header}.{forged_payload}.{signature}"},
            "Invalid access token",
            "signature",
        ),
        ({"Authorization": f"Bearer {expired}"}, "Invalid access token", "expired"),
        ({"Authorization": f"Bearer {seed.connector_token}"}, "Invalid access token", "malformed"),
        ({"Authorization": f"Bearer {ADMIN_KEY}"}, "Invalid access token", "malformed"),
    ]
    before = _count_sessions(client)
    for headers, message, reason in cases:
        # A malformed body too: the token is checked first.
        error = assert_error(
            client.post(SESSIONS_URL, json={"platform": "tv"}, headers=headers), "AUTH_USER_INVALID_TOKEN"
        )
        assert error["message"] == message, headers
        assert error.get("data") == ({"reason": reason} if reason else None)
    assert _count_sessions(client) == before


@pytest.mark.parametrize(
    "body",
    [
        {"streaming_enabled": "yes"},
        {"streaming_enabled": 1},
        {"streaming_enabled": None},
        {"platform": "tv"},
        {"platform": "web", "extra": 1},
        {"platform": "<script>alert(1)</script>"},
        {"platform": "w" * 100_000},
        [],
        "web",
    ],
)
def test_malformed_session_bodies(seed: Seed, chat: Webchat, body: Any) -> None:
    before = _count_sessions(chat.client)
    response = chat.client.post(SESSIONS_URL, json=body, headers={"Authorization": f"Bearer {chat.token}"})
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"], error
    assert _count_sessions(chat.client) == before


def test_unparseable_session_bodies(seed: Seed, chat: Webchat) -> None:
    bearer = {"Authorization": f"Bearer {chat.token}"}
    broken = chat.client.post(
        SESSIONS_URL,
        content=b'{"streaming_enabled": tru',
        headers={**bearer, "Content-Type": "application/json"},
    )
    assert_error(broken, "SCHEMA_VALIDATION_FAILED")
    text = chat.client.post(
        SESSIONS_URL, content=b"streaming_enabled=true", headers={**bearer, "Content-Type": "text/plain"}
    )
    assert_error(text, "UNSUPPORTED_MEDIA_TYPE")


def test_connector_deleted_after_the_token_was_issued(seed: Seed, chat: Webchat) -> None:
    connector = create_connector(chat.client)
    token = access_token(chat.client, connector["token"])
    deleted = chat.client.delete(
        f"/v1/agents/{AGENT}/telephony/connectors/{connector['connectorId']}", headers=ADMIN
    )
    ok(deleted)
    response = chat.client.post(SESSIONS_URL, headers={"Authorization": f"Bearer {token}"})
    assert assert_error(response, "AUTH_USER_INVALID_TOKEN")["data"] == {"reason": "connector_gone"}

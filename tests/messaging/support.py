"""A webchat test harness: the real app in Starlette's TestClient (HTTP and WebSocket), a demo agent.

TestClient runs the app on its own event loop in a thread, so these tests are synchronous; the
app is built with create_app and entered with ``with TestClient(app)`` so that its lifespan runs.
Every socket is made with a short heartbeat timeout, so a test waiting for an event that never
comes fails within seconds (the server closes the socket 4408) instead of hanging.
"""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import StarletteDeprecationWarning
from starlette.websockets import WebSocketDisconnect

with warnings.catch_warnings():
    # Starlette 1.x asks for the httpx2 package; httpx (a dependency already) works the same here.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketTestSession

from parley.accounts.service import bootstrap
from parley.app import create_app
from parley.config import MessagingSettings, RedisSettings, RuntimeSettings, Settings
from parley.errors import CATALOGUE
from tests.conftest import ADMIN_KEY, make_settings

ADMIN = {"x-api-key": ADMIN_KEY}
AGENT = "linden"
GREETING = "Welcome to the Linden Hotel!"
PARKING = "Free parking is available behind the hotel, and it is open all night long for guests."
HUMAN = "Let me put you through to the front desk."
GOODBYE = "Goodbye, enjoy your stay!"
HOST = "example.com"

END_CHAT = f'''def end_chat(conv):
    conv.say("{GOODBYE}")
    return {{"hangup": True}}
'''

Event = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Seed:
    """A module's database, with the demo agent deployed to sandbox and a connector for it."""

    database_url: str
    connector_token: str
    connector_id: str


def webchat_settings(
    database_url: str,
    *,
    redis: RedisSettings | None = None,
    runtime: RuntimeSettings | None = None,
    **messaging: Any,
) -> Settings:
    values: dict[str, Any] = {"heartbeat_timeout_seconds": 5.0, **messaging}
    overrides: dict[str, Any] = {"messaging": MessagingSettings(**values)}
    if redis is not None:
        overrides["redis"] = redis
    if runtime is not None:
        overrides["runtime"] = runtime
    return make_settings(database_url, **overrides)


@contextmanager
def running(settings: Settings) -> Iterator[TestClient]:
    app: FastAPI = create_app(settings)
    with TestClient(app, base_url="http://parley.test") as client:

        async def _bootstrap() -> None:
            async with app.state.sessionmaker() as session:
                await bootstrap(session, settings.bootstrap)
                await session.commit()

        client.portal.call(_bootstrap)
        try:
            yield client
        finally:
            client.portal.call(_forget_redis_keys, app, settings)


async def _forget_redis_keys(app: FastAPI, settings: Settings) -> None:
    redis = app.state.redis
    if redis is not None:
        keys = [k async for k in redis.scan_iter(f"{settings.redis.key_prefix}*")]
        if keys:
            await redis.delete(*keys)


def in_db(client: TestClient, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` with a database session of the client's app, on the app's own event loop."""

    async def run() -> T:
        async with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
            return await work(session)

    return client.portal.call(run)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def demo_agent(client: TestClient, agent: str = AGENT) -> None:
    """The demo agent: a greeting, a KB topic, a handoff topic, a goodbye topic, merged to sandbox."""
    ok(
        client.post(
            "/v1/accounts/default/agents",
            json={"name": "Linden Hotel", "agentId": agent, "responseSettings": {"greeting": GREETING}},
            headers=ADMIN,
        )
    )
    branch = ok(
        client.post(f"/v1/agents/{agent}/branches", json={"branchName": "content"}, headers=ADMIN), 201
    )["branchId"]
    base = f"/v1/agents/{agent}/branches/{branch}"
    ok(
        client.post(
            f"{base}/handoffs",
            json={"name": "front_desk", "method": "refer", "destination": "sip:desk@example.com"},
            headers=ADMIN,
        ),
        201,
    )
    ok(
        client.post(
            f"{base}/functions",
            json={"name": "end_chat", "description": "Ends the chat.", "code": END_CHAT},
            headers=ADMIN,
        ),
        201,
    )
    topics = [
        {"name": "Parking", "content": PARKING, "exampleQueries": {"queries": ["Where can I park my car?"]}},
        {
            "name": "Front desk",
            "content": HUMAN,
            "actions": "{{ho:front_desk}}",
            "exampleQueries": {"queries": ["I want to talk to a human receptionist"]},
        },
        {
            "name": "Goodbye",
            "content": GOODBYE,
            "actions": "{{fn:end_chat}}",
            "exampleQueries": {"queries": ["goodbye, that is all, bye"]},
        },
    ]
    for topic in topics:
        ok(client.post(f"{base}/knowledge-base/topics", json=topic, headers=ADMIN), 201)
    ok(client.post(f"{base}/merge", json={}, headers=ADMIN))


def create_connector(
    client: TestClient,
    agent: str = AGENT,
    allowed_hosts: list[str] | None = None,
    client_env: str = "sandbox",
    headers: dict[str, str] = ADMIN,
) -> Event:
    body = {"name": "Website", "clientEnv": client_env, "allowedHosts": allowed_hosts or [HOST]}
    connector: Event = ok(
        client.post(f"/v1/agents/{agent}/telephony/connectors", json=body, headers=headers), 201
    )
    return connector


def access_token(client: TestClient, connector_token: str, host: str = HOST) -> str:
    body = ok(
        client.post("/api/v1/access-token", json={}, headers={"X-Token": connector_token, "X-Host": host})
    )
    token: str = body["access_token"]
    return token


def new_session(client: TestClient, token: str, **body: Any) -> str:
    response = client.post("/api/v1/sessions", json=body, headers={"Authorization": f"Bearer {token}"})
    session_id: str = ok(response)["session_id"]
    return session_id


def ws_url(session_id: str, token: str, cursor: str | int | None = None) -> str:
    url = f"/ws?session_id={session_id}&access_token={token}"
    return url if cursor is None else f"{url}&cursor={cursor}"


def send(ws: WebSocketTestSession, event_type: str, payload: Event | None = None, **extra: Any) -> None:
    ws.send_json({"type": event_type, "payload": payload or {}, **extra})


def receive_until(ws: WebSocketTestSession, done: Callable[[Event], bool]) -> list[Event]:
    """Events up to and including the first for which ``done`` is true."""
    received: list[Event] = []
    while True:
        event: Event = ws.receive_json()
        received.append(event)
        if done(event):
            return received


def of_type(event_type: str) -> Callable[[Event], bool]:
    return lambda event: event["type"] == event_type


def types(events: list[Event]) -> list[str]:
    return [e["type"].removeprefix("EVENT_TYPE_") for e in events]


def replay(ws: WebSocketTestSession) -> list[Event]:
    """The events of the replay batches sent on connect (one batch unless the journal is long)."""
    batch = ws.receive_json()
    assert batch["type"] == "EVENT_TYPE_EVENT_BATCH" and batch["sequence"] is None, batch
    events: list[Event] = batch["payload"]["events"]
    return events


class Webchat:
    """A connector of the demo agent, ready to mint tokens and sessions."""

    def __init__(self, client: TestClient, connector_token: str) -> None:
        self.client = client
        self.connector_token = connector_token
        self.token = access_token(client, connector_token)

    def session(self, **body: Any) -> str:
        return new_session(self.client, self.token, **body)

    @contextmanager
    def connect(self, session_id: str, cursor: str | int | None = None) -> Iterator[WebSocketTestSession]:
        with self.client.websocket_connect(ws_url(session_id, self.token, cursor)) as ws:
            yield ws

    def join(self, ws: WebSocketTestSession, *, replayed: bool = False) -> list[Event]:
        """(Replay,) join, and everything up to the greeting."""
        if not replayed:
            replay(ws)
        send(ws, "EVENT_TYPE_REQUEST_POLY_AGENT_JOIN")
        return receive_until(ws, reply_done)

    def say(
        self, ws: WebSocketTestSession, text: str, done: Callable[[Event], bool] | None = None
    ) -> list[Event]:
        """Send a user message; the events up to the reply (or to ``done``)."""
        send(ws, "EVENT_TYPE_USER_MESSAGE", {"text": text})
        return receive_until(ws, done or reply_done)


def reply_done(event: Event) -> bool:
    return event["type"] == "EVENT_TYPE_POLY_AGENT_MESSAGE" or _last_chunk(event)


def _last_chunk(event: Event) -> bool:
    return event["type"] == "EVENT_TYPE_POLY_AGENT_MESSAGE_CHUNK" and event["payload"]["is_complete"]


@contextmanager
def webchat(
    seed: Seed,
    *,
    redis: RedisSettings | None = None,
    runtime: RuntimeSettings | None = None,
    **messaging: Any,
) -> Iterator[Webchat]:
    """An app (a worker) on the seeded database, with its own settings, and a client of it."""
    settings = webchat_settings(seed.database_url, redis=redis, runtime=runtime, **messaging)
    with running(settings) as client:
        yield Webchat(client, seed.connector_token)


def assert_system_error(event: Event, code: str, text: str) -> dict[str, Any]:
    """An error SYSTEM_MESSAGE: the documented text, and our envelope for ``code``."""
    assert event["type"] == "EVENT_TYPE_SYSTEM_MESSAGE" and event["sequence"] is None, event
    payload = event["payload"]
    assert set(payload) == {"level", "message", "error"}, payload
    assert payload["level"] == "SYSTEM_MESSAGE_LEVEL_ERROR" and payload["message"] == text, payload
    error: dict[str, Any] = payload["error"]
    assert set(error) <= {"code", "id", "message", "correlation_id", "data"}, error
    assert error["code"] == code and error["id"] == CATALOGUE[code].spec.id, error
    assert error["message"] and "Traceback" not in json.dumps(event)
    assert uuid.UUID(error["correlation_id"])
    return error


def assert_still_open(ws: WebSocketTestSession) -> None:
    send(ws, "EVENT_TYPE_HEARTBEAT")
    echo = ws.receive_json()
    assert echo["type"] == "EVENT_TYPE_HEARTBEAT" and echo["sequence"] is None, echo


def closed_with(ws: WebSocketTestSession) -> tuple[int, str]:
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    return closed.value.code, closed.value.reason

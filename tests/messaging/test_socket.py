"""The webchat WebSocket: handshake, replay, the five client events, endings, errors, liveness."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocketDisconnect

from parley.config import RuntimeSettings
from parley.kit.maintenance import disable_maintenance, enable_maintenance
from parley.models import Conversation, MessagingEvent
from tests.conftest import OPERATOR_KEY
from tests.messaging.support import (
    ADMIN,
    AGENT,
    GOODBYE,
    GREETING,
    HUMAN,
    PARKING,
    Event,
    Seed,
    Webchat,
    access_token,
    assert_still_open,
    assert_system_error,
    closed_with,
    create_connector,
    in_db,
    of_type,
    ok,
    receive_until,
    replay,
    send,
    types,
    webchat,
    ws_url,
)
from tests.support.envelope import assert_error

JOIN = "EVENT_TYPE_REQUEST_POLY_AGENT_JOIN"
USER_MESSAGE = "EVENT_TYPE_USER_MESSAGE"
HEARTBEAT = "EVENT_TYPE_HEARTBEAT"
SYSTEM_MESSAGE = "EVENT_TYPE_SYSTEM_MESSAGE"
SESSION_END = "EVENT_TYPE_SESSION_END"


def journal(chat: Webchat, session_id: str) -> list[Event]:
    async def read(session: AsyncSession) -> list[Event]:
        stmt = select(MessagingEvent.event).where(MessagingEvent.session_id == session_id)
        return [dict(e) for e in (await session.scalars(stmt.order_by(MessagingEvent.sequence))).all()]

    return in_db(chat.client, read)


def conversation_status(chat: Webchat, session_id: str) -> str:
    async def read(session: AsyncSession) -> str:
        from parley.models import MessagingSession

        messaging_session = await session.get(MessagingSession, session_id)
        assert messaging_session is not None and messaging_session.conversation_id is not None
        conversation = await session.get(Conversation, messaging_session.conversation_id)
        assert conversation is not None
        assert (conversation.channel, conversation.source) == ("webchat", "webchat")
        return conversation.status

    return in_db(chat.client, read)


# --- handshake ---------------------------------------------------------------------------------------


def _denied(chat: Webchat, url: str) -> Any:
    with pytest.raises(WebSocketDisconnect) as denied, chat.client.websocket_connect(url):
        pass
    return denied.value


def test_handshake_errors(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session()
    cases = [
        ("/ws", "SCHEMA_VALIDATION_FAILED", "invalid connection parameters"),
        (f"/ws?session_id={session_id}", "SCHEMA_VALIDATION_FAILED", "invalid connection parameters"),
        (f"/ws?access_token={chat.token}", "SCHEMA_VALIDATION_FAILED", "invalid connection parameters"),
        (ws_url(session_id, "garbage"), "AUTH_USER_INVALID_TOKEN", "authentication failed"),
        (ws_url(session_id, seed.connector_token), "AUTH_USER_INVALID_TOKEN", "authentication failed"),
        (ws_url(str(uuid.uuid4()), chat.token), "RESOURCE_NOT_FOUND", "session not found"),
        (ws_url("'%20OR%201=1--", chat.token), "RESOURCE_NOT_FOUND", "session not found"),
        (ws_url("x" * 5000, chat.token), "RESOURCE_NOT_FOUND", "session not found"),
        (ws_url(session_id.upper(), chat.token), "RESOURCE_NOT_FOUND", "session not found"),
    ]
    for url, code, message in cases:
        response = _denied(chat, url)
        assert assert_error(response, code)["message"] == message, url


def test_a_session_answers_only_its_own_connector(seed: Seed, chat: Webchat) -> None:
    other = create_connector(chat.client)
    other_token = access_token(chat.client, other["token"])
    session_id = chat.session()
    response = _denied(chat, ws_url(session_id, other_token))
    assert assert_error(response, "AUTH_USER_INVALID_TOKEN")["data"] == {"reason": "session_mismatch"}


def test_connection_limit(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session()
    url = ws_url(session_id, chat.token)
    sockets = [chat.client.websocket_connect(url) for _ in range(10)]
    try:
        for ws in sockets:
            ws.__enter__()
            replay(ws)
        error = assert_error(_denied(chat, url), "RATE_LIMIT_EXCEEDED")
        assert error["message"] == "connection limit exceeded for session"
        sockets.pop().__exit__(None, None, None)
        with chat.connect(session_id) as again:
            assert [e["type"] for e in replay(again)] == ["EVENT_TYPE_SESSION_START"]
    finally:
        for ws in sockets:
            ws.__exit__(None, None, None)


# --- a conversation --------------------------------------------------------------------------------


def test_conversation(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session()
    with chat.connect(session_id) as ws:
        history = replay(ws)
        assert types(history) == ["SESSION_START"]
        send(ws, JOIN)
        joined = receive_until(ws, of_type("EVENT_TYPE_POLY_AGENT_MESSAGE"))
        assert types(joined) == [
            "REQUEST_POLY_AGENT_JOIN",
            "POLY_AGENT_JOINED",
            "POLY_AGENT_THINKING",
            "POLY_AGENT_MESSAGE",
        ]
        assert [e["sequence"] for e in joined] == [2, 3, None, 4]
        assert joined[1]["payload"] == {"agent_name": "Linden Hotel", "agent_avatar_url": ""}
        greeting = joined[3]["payload"]
        assert (
            greeting["text"] == GREETING
            and greeting["attachments"] == []
            and greeting["response_suggestions"] == []
        )
        for event in joined:
            assert set(event) == {"id", "sequence", "timestamp", "type", "payload"}, event
            assert uuid.UUID(event["id"]).version == 4
            assert datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).tzinfo is not None

        reply = chat.say(ws, "Where can I park my car?")
        assert types(reply) == ["USER_MESSAGE", "POLY_AGENT_THINKING", "POLY_AGENT_MESSAGE"]
        echo = reply[0]["payload"]
        assert echo["text"] == "Where can I park my car?" and uuid.UUID(echo["message_id"])
        assert reply[2]["payload"]["text"] == PARKING
        assert [reply[0]["sequence"], reply[2]["sequence"]] == [5, 6]
        assert greeting["message_id"] != reply[2]["payload"]["message_id"]

        unicode = chat.say(ws, "🙂 Где парковка? <b>&amp;</b> '; DROP TABLE messaging_event; --")
        assert (
            unicode[0]["payload"]["text"] == "🙂 Где парковка? <b>&amp;</b> '; DROP TABLE messaging_event; --"
        )
        assert unicode[2]["payload"]["text"]  # answered (the fallback), and nothing was dropped
    assert [e["sequence"] for e in journal(chat, session_id)] == list(range(1, 9))
    assert conversation_status(chat, session_id) == "active"


def test_metadata_is_echoed_on_echoes_and_errors(seed: Seed, chat: Webchat) -> None:
    custom = {"client_event_id": "evt-1", "nested": {"ünï": [1, 2, None]}}
    with chat.connect(chat.session()) as ws:
        replay(ws)
        send(ws, JOIN, metadata={"custom": custom})
        joined = receive_until(ws, of_type("EVENT_TYPE_POLY_AGENT_MESSAGE"))
        assert joined[0]["metadata"] == {"custom": custom}
        assert all("metadata" not in e for e in joined[1:])
        send(ws, HEARTBEAT, metadata={"custom": {"n": 1}})
        heartbeat = ws.receive_json()
        assert (heartbeat["type"], heartbeat["sequence"], heartbeat["metadata"]) == (
            HEARTBEAT,
            None,
            {"custom": {"n": 1}},
        )
        send(ws, "EVENT_TYPE_SOMETHING", metadata={"custom": {"n": 2}})
        assert ws.receive_json()["metadata"] == {"custom": {"n": 2}}
        send(ws, USER_MESSAGE, {"text": "Where can I park my car?"}, metadata={"custom": {"n": 3}})
        reply = receive_until(ws, of_type("EVENT_TYPE_POLY_AGENT_MESSAGE"))
        assert reply[0]["metadata"] == {"custom": {"n": 3}} and "metadata" not in reply[-1]


def test_typing_is_not_echoed(seed: Seed, chat: Webchat) -> None:
    with chat.connect(chat.session()) as ws:
        replay(ws)
        send(ws, "EVENT_TYPE_USER_TYPING", {"state": "TYPING_STATE_STARTED"})
        send(ws, "EVENT_TYPE_USER_TYPING", {"state": "TYPING_STATE_STOPPED"})
        assert_still_open(ws)  # the next frame is the heartbeat's echo: typing produced nothing
        send(ws, "EVENT_TYPE_USER_TYPING", {"state": "TYPING"})
        assert_system_error(
            ws.receive_json(), "SCHEMA_VALIDATION_FAILED", "Unknown event type or invalid message format"
        )


def test_streaming(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session(streaming_enabled=True)
    with chat.connect(session_id) as ws:
        assert replay(ws)[0]["payload"]["capabilities"]["streaming"] is True
        greeting = chat.join(ws, replayed=True)[3:]
        assert types(greeting) == ["POLY_AGENT_MESSAGE_CHUNK"]  # short enough for one chunk
        assert greeting[0]["payload"]["is_complete"] is True and greeting[0]["payload"]["chunk_index"] == 1
        reply = chat.say(ws, "Where can I park my car?")[2:]
    assert len(reply) > 1 and set(types(reply)) == {"POLY_AGENT_MESSAGE_CHUNK"}
    payloads = [e["payload"] for e in reply]
    assert "".join(p["text"] for p in payloads) == PARKING
    assert [p["chunk_index"] for p in payloads] == list(range(1, len(reply) + 1))
    assert [p["is_complete"] for p in payloads] == [False] * (len(reply) - 1) + [True]
    assert len({p["message_id"] for p in payloads}) == 1
    assert all(
        set(p) == {"message_id", "text", "attachments", "response_suggestions", "chunk_index", "is_complete"}
        for p in payloads
    )
    sequences = [e["sequence"] for e in reply]
    assert sequences == list(range(sequences[0], sequences[0] + len(reply)))


# --- replay --------------------------------------------------------------------------------------------


def test_replay_with_cursor(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session()
    with chat.connect(session_id) as ws:
        seen = replay(ws) + chat.join(ws, replayed=True) + chat.say(ws, "Where can I park my car?")
    journaled = [e for e in seen if e["sequence"] is not None]
    last = journaled[-1]["sequence"]
    assert last == 6
    # Something happens while the first client is away: it must get it, once, on reconnect.
    with chat.connect(session_id, cursor=last) as other:
        assert replay(other) == []
        missed = chat.say(
            other, "I want to talk to a human receptionist", of_type("EVENT_TYPE_POLY_AGENT_LEFT")
        )
    for cursor in (3, "seq:3"):
        with chat.connect(session_id, cursor=cursor) as ws:
            again = replay(ws)
        assert again == journaled[3:] + [e for e in missed if e["sequence"] is not None], cursor
    assert [e["sequence"] for e in again] == list(range(4, 12))
    # Invalid cursors replay everything, without duplicates.
    everything = journal(chat, session_id)
    for cursor in ("abc", "-1", "999", "seq:", "1.5"):
        with chat.connect(session_id, cursor=cursor) as ws:
            assert replay(ws) == everything, cursor
    # Reconnected clients see the agent joined in the replay and talk without joining again.
    with chat.connect(session_id, cursor=last) as ws:
        replay(ws)
        send(ws, USER_MESSAGE, {"text": "hello?"})
        handed_off = receive_until(ws, of_type(SYSTEM_MESSAGE))
        assert_system_error(handed_off[-1], "UNPROCESSABLE_ENTITY", "Failed to forward message to live agent")


def test_long_journals_replay_in_batches(seed: Seed) -> None:
    with webchat(seed, replay_batch_size=3) as chat:
        session_id = chat.session()
        with chat.connect(session_id) as ws:
            chat.join(ws)
            chat.say(ws, "Where can I park my car?")
        with chat.connect(session_id) as ws:
            batches = [ws.receive_json() for _ in range(2)]
            assert_still_open(ws)
    assert [len(b["payload"]["events"]) for b in batches] == [3, 3]
    assert [e["sequence"] for b in batches for e in b["payload"]["events"]] == [1, 2, 3, 4, 5, 6]
    assert types(batches[0]["payload"]["events"])[0] == "SESSION_START"


# --- errors on the socket ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code", "text"),
    [
        (
            '{"type": "EVENT_TYPE_NOPE", "payload": {}}',
            "SCHEMA_VALIDATION_FAILED",
            "Unknown event type or invalid message format",
        ),
        ("not json", "SCHEMA_VALIDATION_FAILED", "Unknown event type or invalid message format"),
        ("[1, 2]", "SCHEMA_VALIDATION_FAILED", "Unknown event type or invalid message format"),
        (
            '{"type": "EVENT_TYPE_USER_MESSAGE", "payload": {}}',
            "SCHEMA_VALIDATION_FAILED",
            "Unknown event type or invalid message format",
        ),
        (
            '{"type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": 42}}',
            "SCHEMA_VALIDATION_FAILED",
            "Unknown event type or invalid message format",
        ),
        (
            '{"type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "   "}}',
            "SCHEMA_VALIDATION_FAILED",
            "Unknown event type or invalid message format",
        ),
        (
            '{"type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "a\\u0000b"}}',
            "SCHEMA_VALIDATION_FAILED",
            "Unknown event type or invalid message format",
        ),
        (
            '{"type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "\\ud800"}}',
            "SCHEMA_VALIDATION_FAILED",
            "Unknown event type or invalid message format",
        ),
        (
            '{"type": "EVENT_TYPE_HEARTBEAT", "payload": {}, "sequence": 3}',
            "SCHEMA_VALIDATION_FAILED",
            "Unknown event type or invalid message format",
        ),
        (
            '{"type": "EVENT_TYPE_HEARTBEAT", "payload": {"x": NaN}}',
            "SCHEMA_VALIDATION_FAILED",
            "Unknown event type or invalid message format",
        ),
        (
            '{"type": "EVENT_TYPE_HEARTBEAT", "payload": "x"}',
            "SCHEMA_VALIDATION_FAILED",
            "Unknown event type or invalid message format",
        ),
        (
            '{"type": "EVENT_TYPE_POLY_AGENT_MESSAGE", "payload": {"text": "x"}}',
            "UNPROCESSABLE_ENTITY",
            "Event type not allowed: EVENT_TYPE_POLY_AGENT_MESSAGE",
        ),
        (
            '{"type": "EVENT_TYPE_USER_MESSAGE", "payload": {"text": "hi"}}',
            "UNPROCESSABLE_ENTITY",
            "Event type not allowed: EVENT_TYPE_USER_MESSAGE",
        ),
        ("[" * 100_000, "SCHEMA_VALIDATION_FAILED", "Unknown event type or invalid message format"),
    ],
)
def test_bad_frames_get_a_system_message_and_the_socket_stays_open(
    seed: Seed, chat: Webchat, frame: str, code: str, text: str
) -> None:
    session_id = chat.session()
    with chat.connect(session_id) as ws:
        replay(ws)
        ws.send_text(frame)
        assert_system_error(ws.receive_json(), code, text)
        assert_still_open(ws)
    assert types(journal(chat, session_id)) == ["SESSION_START"]  # nothing half-written


def test_binary_frames_and_oversized_messages(seed: Seed, chat: Webchat) -> None:
    with chat.connect(chat.session()) as ws:
        replay(ws)
        ws.send_bytes(json.dumps({"type": HEARTBEAT, "payload": {}}).encode())
        assert ws.receive_json()["type"] == HEARTBEAT
        ws.send_bytes(b"\xff\xfe\x00")
        assert_system_error(
            ws.receive_json(), "SCHEMA_VALIDATION_FAILED", "Unknown event type or invalid message format"
        )
        big = json.dumps({"type": USER_MESSAGE, "payload": {"text": "x" * 131_072}})
        ws.send_text(big)
        error = assert_system_error(
            ws.receive_json(), "PAYLOAD_TOO_LARGE", "Message too large: the limit is 131072 bytes"
        )
        assert error["data"] == {"maxBytes": 131072, "size": len(big)}
        just_fits = json.dumps({"type": HEARTBEAT, "payload": {}, "metadata": {"custom": {"pad": ""}}})
        ws.send_text(just_fits.replace('"pad": ""', '"pad": "' + "y" * (131_072 - len(just_fits)) + '"'))
        assert ws.receive_json()["type"] == HEARTBEAT
        assert_still_open(ws)


def test_join_twice_is_refused(seed: Seed, chat: Webchat) -> None:
    with chat.connect(chat.session()) as ws:
        chat.join(ws)
        send(ws, JOIN)
        assert_system_error(
            ws.receive_json(),
            "UNPROCESSABLE_ENTITY",
            "Event type not allowed: EVENT_TYPE_REQUEST_POLY_AGENT_JOIN",
        )
        assert_still_open(ws)


def test_nothing_deployed_for_the_connector(seed: Seed, chat: Webchat) -> None:
    """The agent cannot start (nothing live): it joins, fails, leaves; the client may retry."""
    live = create_connector(chat.client, client_env="live")
    token = access_token(chat.client, live["token"])
    session_id = ok(chat.client.post("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"}))[
        "session_id"
    ]
    with chat.client.websocket_connect(ws_url(session_id, token)) as ws:
        replay(ws)
        for _ in range(2):
            send(ws, JOIN)
            events = receive_until(ws, of_type("EVENT_TYPE_POLY_AGENT_LEFT"))
            assert types(events) == [
                "REQUEST_POLY_AGENT_JOIN",
                "POLY_AGENT_JOINED",
                "POLY_AGENT_THINKING",
                "SYSTEM_MESSAGE",
                "POLY_AGENT_LEFT",
            ]
            assert_system_error(
                events[3],
                "CHAT_DRAFT_NOT_EXIST",
                "Sorry, I'm unable to start a conversation right now. Please try again later.",
            )


def test_connector_deleted_before_the_join(seed: Seed, chat: Webchat) -> None:
    connector = create_connector(chat.client)
    token = access_token(chat.client, connector["token"])
    session_id = ok(chat.client.post("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"}))[
        "session_id"
    ]
    ok(
        chat.client.delete(
            f"/v1/agents/{AGENT}/telephony/connectors/{connector['connectorId']}", headers=ADMIN
        )
    )
    with chat.client.websocket_connect(ws_url(session_id, token)) as ws:
        replay(ws)
        send(ws, JOIN)
        events = receive_until(ws, of_type("EVENT_TYPE_POLY_AGENT_LEFT"))
    assert_system_error(events[3], "CONNECTORS_NOT_FOUND", "Error: Connector not found")


# --- endings -------------------------------------------------------------------------------------------


def test_user_ends_the_session(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session()
    with chat.connect(session_id) as ws:
        chat.join(ws)
        send(ws, "EVENT_TYPE_USER_END_SESSION", metadata={"custom": {"why": "done"}})
        ended = receive_until(ws, of_type(SESSION_END))
        assert types(ended) == ["USER_END_SESSION", "SESSION_END"]
        assert ended[0]["metadata"] == {"custom": {"why": "done"}}
        assert ended[1]["payload"] == {"reason": "REASON_USER_END"}
        assert closed_with(ws) == (1000, "")
    assert conversation_status(chat, session_id) == "closed"
    # An ended session cannot be resumed: a reconnect replays its end and is closed normally.
    with chat.connect(session_id) as ws:
        assert types(replay(ws))[-1] == "SESSION_END"
        assert closed_with(ws) == (1000, "")
    with chat.connect(session_id, cursor=len(journal(chat, session_id))) as ws:
        assert replay(ws) == []
        assert closed_with(ws) == (1000, "")


def test_natural_end(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session()
    with chat.connect(session_id) as ws:
        chat.join(ws)
        ending = chat.say(ws, "goodbye, that is all", of_type(SESSION_END))
        assert types(ending) == ["USER_MESSAGE", "POLY_AGENT_THINKING", "POLY_AGENT_MESSAGE", "SESSION_END"]
        assert ending[2]["payload"]["text"] == GOODBYE
        assert ending[3]["payload"] == {"reason": "REASON_NATURAL_END"}
        assert closed_with(ws) == (1000, "")
    assert conversation_status(chat, session_id) == "ended"


def test_handoff(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session()
    with chat.connect(session_id) as ws:
        chat.join(ws)
        events = chat.say(ws, "I want to talk to a human receptionist", of_type("EVENT_TYPE_POLY_AGENT_LEFT"))
        assert types(events) == [
            "USER_MESSAGE",
            "POLY_AGENT_THINKING",
            "POLY_AGENT_MESSAGE",
            "POLY_AGENT_TRIGGERED_HANDOFF",
            "CLIENT_HANDOFF_REQUIRED",
            "POLY_AGENT_LEFT",
        ]
        assert events[2]["payload"]["text"] == HUMAN
        assert events[4]["payload"] == {"reason": "AGENT_DECISION", "queue_name": "front_desk"}
        assert events[3]["payload"] == {} and events[5]["payload"] == {}
        # The client now owns the conversation: parley no longer answers, but the socket stays.
        send(ws, USER_MESSAGE, {"text": "hello?"})
        assert_system_error(
            ws.receive_json(), "UNPROCESSABLE_ENTITY", "Failed to forward message to live agent"
        )
        send(ws, JOIN)
        assert_system_error(
            ws.receive_json(),
            "UNPROCESSABLE_ENTITY",
            "Event type not allowed: EVENT_TYPE_REQUEST_POLY_AGENT_JOIN",
        )
        assert_still_open(ws)
    assert conversation_status(chat, session_id) == "ended"


def test_silent_clients_are_closed_4408(seed: Seed) -> None:
    with webchat(seed, heartbeat_timeout_seconds=0.3) as chat:
        session_id = chat.session()
        with chat.connect(session_id) as ws:
            replay(ws)
            # Heartbeats keep the socket alive well past the timeout...
            started = time.monotonic()
            while time.monotonic() - started < 0.9:
                assert_still_open(ws)
                time.sleep(0.1)
            # ...and silence closes it.
            assert closed_with(ws) == (4408, "pong timeout")
        # The session itself is not over: the client reconnects and carries on.
        with chat.connect(session_id) as ws:
            assert types(chat.join(ws)) == [
                "REQUEST_POLY_AGENT_JOIN",
                "POLY_AGENT_JOINED",
                "POLY_AGENT_THINKING",
                "POLY_AGENT_MESSAGE",
            ]


def test_idle_sessions_end_abandoned(seed: Seed) -> None:
    with webchat(seed, session_idle_seconds=0.6) as chat:
        session_id = chat.session()
        with chat.connect(session_id) as ws:
            chat.join(ws)
        time.sleep(1.2)
        with chat.connect(session_id) as ws:
            history = replay(ws)
            assert history[-1]["type"] == SESSION_END
            assert history[-1]["payload"] == {"reason": "REASON_USER_ABANDONED"}
            assert closed_with(ws) == (1000, "")
        assert conversation_status(chat, session_id) == "closed"


def test_conversation_timeout_ends_the_session(seed: Seed) -> None:
    with webchat(seed, runtime=RuntimeSettings(chat_timeout_seconds=0.3)) as chat:
        session_id = chat.session()
        with chat.connect(session_id) as ws:
            chat.join(ws)
            time.sleep(0.5)
            events = chat.say(ws, "Where can I park my car?", of_type(SESSION_END))
            assert types(events) == ["USER_MESSAGE", "POLY_AGENT_THINKING", "SYSTEM_MESSAGE", "SESSION_END"]
            assert_system_error(
                events[2], "CHAT_TIMEOUT", "Sorry, I'm having trouble responding right now. Please try again."
            )
            assert events[3]["payload"] == {"reason": "REASON_USER_ABANDONED"}
            assert closed_with(ws) == (1000, "")
        assert conversation_status(chat, session_id) == "timed_out"


def test_another_accounts_connector_cannot_reach_a_session(seed: Seed, chat: Webchat) -> None:
    created = ok(
        chat.client.post(
            "/v1/accounts",
            json={"accountId": "otherco", "name": "Other"},
            headers={"x-api-key": OPERATOR_KEY},
        ),
        201,
    )
    their_admin = {"x-api-key": created["adminKey"]["key"]}
    ok(
        chat.client.post(
            "/v1/accounts/otherco/agents",
            json={"name": "Theirs", "agentId": "theirs", "responseSettings": {"greeting": "Hi"}},
            headers=their_admin,
        )
    )
    theirs = create_connector(chat.client, agent="theirs", headers=their_admin)
    their_token = access_token(chat.client, theirs["token"])
    session_id = chat.session()
    response = _denied(chat, ws_url(session_id, their_token))
    assert assert_error(response, "AUTH_USER_INVALID_TOKEN")["message"] == "authentication failed"
    # Nor can their admin key stand in for a connector token or an access token.
    exchanged = chat.client.post(
        "/api/v1/access-token", headers={"X-Token": created["adminKey"]["key"], "X-Host": "example.com"}
    )
    assert_error(exchanged, "AUTH_USER_INVALID_TOKEN")
    response = _denied(chat, ws_url(session_id, created["adminKey"]["key"]))
    assert_error(response, "AUTH_USER_INVALID_TOKEN")


def test_maintenance_refuses_new_sockets(seed: Seed, chat: Webchat) -> None:
    session_id = chat.session()
    in_db(chat.client, lambda session: _switch_maintenance(session, on=True))
    try:
        response = _denied(chat, ws_url(session_id, chat.token))
        error = assert_error(response, "SERVICE_UNAVAILABLE")
        assert error["message"] == "Upgrading" and response.headers["retry-after"] == "30"
    finally:
        in_db(chat.client, lambda session: _switch_maintenance(session, on=False))
    with chat.connect(session_id) as ws:
        assert types(replay(ws)) == ["SESSION_START"]


async def _switch_maintenance(session: AsyncSession, *, on: bool) -> None:
    if on:
        await enable_maintenance(session, "Upgrading", 30)
    else:
        await disable_maintenance(session)
    await session.commit()

"""The wire protocol: event type names, server event envelopes, and parsing of client frames."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from parley.errors import ParleyError, PayloadTooLarge, SchemaValidationFailed, UnprocessableEntity
from parley.kit.context import current_correlation_id
from parley.kit.http import validation_details

# Client -> server: only these five.
REQUEST_POLY_AGENT_JOIN = "EVENT_TYPE_REQUEST_POLY_AGENT_JOIN"
USER_MESSAGE = "EVENT_TYPE_USER_MESSAGE"
USER_TYPING = "EVENT_TYPE_USER_TYPING"
USER_END_SESSION = "EVENT_TYPE_USER_END_SESSION"
HEARTBEAT = "EVENT_TYPE_HEARTBEAT"
CLIENT_TYPES = frozenset({REQUEST_POLY_AGENT_JOIN, USER_MESSAGE, USER_TYPING, USER_END_SESSION, HEARTBEAT})

# Server -> client.
EVENT_BATCH = "EVENT_TYPE_EVENT_BATCH"
SESSION_START = "EVENT_TYPE_SESSION_START"
SESSION_END = "EVENT_TYPE_SESSION_END"
POLY_AGENT_JOINED = "EVENT_TYPE_POLY_AGENT_JOINED"
POLY_AGENT_THINKING = "EVENT_TYPE_POLY_AGENT_THINKING"
POLY_AGENT_MESSAGE = "EVENT_TYPE_POLY_AGENT_MESSAGE"
POLY_AGENT_MESSAGE_CHUNK = "EVENT_TYPE_POLY_AGENT_MESSAGE_CHUNK"
POLY_AGENT_LEFT = "EVENT_TYPE_POLY_AGENT_LEFT"
POLY_AGENT_TRIGGERED_HANDOFF = "EVENT_TYPE_POLY_AGENT_TRIGGERED_HANDOFF"
CLIENT_HANDOFF_REQUIRED = "EVENT_TYPE_CLIENT_HANDOFF_REQUIRED"
SYSTEM_MESSAGE = "EVENT_TYPE_SYSTEM_MESSAGE"
# Documented server events parley never emits (no server-managed live-agent handoff); listed so
# that a client sending one is told "not allowed" rather than "unknown".
SERVER_TYPES = frozenset(
    {
        EVENT_BATCH,
        SESSION_START,
        SESSION_END,
        POLY_AGENT_JOINED,
        POLY_AGENT_THINKING,
        POLY_AGENT_MESSAGE,
        POLY_AGENT_MESSAGE_CHUNK,
        POLY_AGENT_LEFT,
        POLY_AGENT_TRIGGERED_HANDOFF,
        CLIENT_HANDOFF_REQUIRED,
        SYSTEM_MESSAGE,
        "EVENT_TYPE_HANDOFF_ACCEPTED",
        "EVENT_TYPE_HANDOFF_QUEUE_STATUS",
        "EVENT_TYPE_HANDOFF_FAILED",
        "EVENT_TYPE_HANDOFF_TIMEOUT",
        "EVENT_TYPE_LIVE_AGENT_JOINED",
        "EVENT_TYPE_LIVE_AGENT_TYPING",
        "EVENT_TYPE_LIVE_AGENT_MESSAGE",
        "EVENT_TYPE_LIVE_AGENT_LEFT",
        "EVENT_TYPE_LANGUAGE_CHANGED",
    }
)

REASON_USER_END = "REASON_USER_END"
REASON_USER_ABANDONED = "REASON_USER_ABANDONED"
REASON_NATURAL_END = "REASON_NATURAL_END"

LEVEL_ERROR = "SYSTEM_MESSAGE_LEVEL_ERROR"

# The documented system-message texts.
TEXT_INVALID_FORMAT = "Unknown event type or invalid message format"
TEXT_HIGH_LOAD = "Our system is experiencing high load. Please try again in a moment."
TEXT_CANNOT_START = "Sorry, I'm unable to start a conversation right now. Please try again later."
TEXT_CANNOT_RESPOND = "Sorry, I'm having trouble responding right now. Please try again."
TEXT_GENERIC = "Sorry, I encountered an error. Please try again."
TEXT_SESSION_NOT_FOUND = "Error: Session not found"
TEXT_CONNECTOR_NOT_FOUND = "Error: Connector not found"
TEXT_CONVERSATION_NOT_FOUND = "Error: Conversation not found"
TEXT_NO_CONVERSATION = "Error: Conversation ID not found in session"
TEXT_FORWARD_FAILED = "Failed to forward message to live agent"


def not_allowed_text(event_type: str) -> str:
    return f"Event type not allowed: {event_type}"


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def server_event(
    event_type: str,
    payload: dict[str, Any],
    *,
    sequence: int | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A server event as sent. ``sequence`` is None for transient events, which are not journaled."""
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "sequence": sequence,
        "timestamp": timestamp(),
        "type": event_type,
        "payload": payload,
    }
    if metadata is not None:
        event["metadata"] = metadata
    return event


def batch(events: list[dict[str, Any]]) -> dict[str, Any]:
    return server_event(EVENT_BATCH, {"events": events})


class Refusal(Exception):
    """A client event answered with an error system message; the connection stays open.

    ``text`` is the documented system-message text; ``error`` is the catalogue error whose
    envelope travels with it, so clients can match on ``code`` as they do over HTTP.
    """

    def __init__(self, text: str, error: ParleyError, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.error = error
        self.metadata = metadata


class ClientGone(Exception):
    """The client's connection is gone; whatever was being sent is in the journal for its return."""


def system_error(text: str, error: ParleyError, metadata: dict[str, Any] | None) -> dict[str, Any]:
    payload = {
        "level": LEVEL_ERROR,
        "message": text,
        **error.envelope(current_correlation_id()),
    }
    return server_event(SYSTEM_MESSAGE, payload, metadata=metadata)


# --- client frames ---------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Metadata(BaseModel):
    model_config = ConfigDict(extra="ignore")

    custom: dict[str, Any] = Field(default_factory=dict)


class _Envelope(_Strict):
    type: StrictStr
    payload: dict[str, Any] = Field(default_factory=dict)
    metadata: _Metadata | None = None


class _Empty(_Strict):
    pass


class _UserMessage(_Strict):
    text: StrictStr

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be empty")
        return value


class _Typing(_Strict):
    state: Literal["TYPING_STATE_STARTED", "TYPING_STATE_STOPPED"]


_PAYLOADS: dict[str, type[_Strict]] = {
    REQUEST_POLY_AGENT_JOIN: _Empty,
    USER_MESSAGE: _UserMessage,
    USER_TYPING: _Typing,
    USER_END_SESSION: _Empty,
    HEARTBEAT: _Empty,
}


@dataclass(frozen=True)
class ClientEvent:
    type: str
    payload: dict[str, Any]
    # What is echoed back: {"custom": {...}} when the client sent metadata.custom, else None.
    metadata: dict[str, Any] | None = field(default=None)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _require_storable(value: Any, depth: int = 0) -> None:
    """Lone surrogates and NUL cannot be stored in PostgreSQL text nor re-encoded as UTF-8."""
    if depth > 100:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL character")
        value.encode("utf-8")
    elif isinstance(value, dict):
        for key, item in value.items():
            _require_storable(key, depth + 1)
            _require_storable(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _require_storable(item, depth + 1)


def parse_client_event(frame: str | bytes | None, max_bytes: int) -> ClientEvent:
    """The frame as a client event; raises Refusal with the documented text otherwise."""
    if frame is None:
        raise Refusal(TEXT_INVALID_FORMAT, SchemaValidationFailed("The frame is empty."))
    size = len(frame) if isinstance(frame, bytes) else len(frame.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise Refusal(
            f"Message too large: the limit is {max_bytes} bytes",
            PayloadTooLarge(
                f"The message is {size} bytes; the limit is {max_bytes}.",
                data={"maxBytes": max_bytes, "size": size},
            ),
        )
    try:
        text = frame.decode("utf-8") if isinstance(frame, bytes) else frame
        raw = json.loads(text, parse_constant=_reject_constant)
        _require_storable(raw)
    except (UnicodeError, ValueError, RecursionError):
        raise Refusal(TEXT_INVALID_FORMAT, SchemaValidationFailed("The message is not valid JSON.")) from None
    try:
        envelope = _Envelope.model_validate(raw)
    except ValidationError as exc:
        raise Refusal(
            TEXT_INVALID_FORMAT,
            SchemaValidationFailed(
                "The message is not a client event: send {type, payload, metadata?}.",
                data={"errors": validation_details(exc.errors())},
            ),
        ) from None
    metadata = {"custom": envelope.metadata.custom} if envelope.metadata is not None else None
    try:
        payload = _payload(envelope)
    except Refusal as refusal:
        refusal.metadata = metadata
        raise
    return ClientEvent(type=envelope.type, payload=payload, metadata=metadata)


def _payload(envelope: _Envelope) -> dict[str, Any]:
    payload_model = _PAYLOADS.get(envelope.type)
    if payload_model is None:
        shown = envelope.type[:100]
        if envelope.type in SERVER_TYPES:
            raise Refusal(
                not_allowed_text(envelope.type),
                UnprocessableEntity(f"'{shown}' is sent by the server, never by a client."),
            )
        raise Refusal(
            TEXT_INVALID_FORMAT,
            SchemaValidationFailed(
                f"'{shown}' is not a client event type.",
                data={"type": shown, "allowed": sorted(CLIENT_TYPES)},
            ),
        )
    try:
        return payload_model.model_validate(envelope.payload).model_dump()
    except ValidationError as exc:
        details = validation_details([{**e, "loc": ("payload", *e["loc"])} for e in exc.errors()])
        raise Refusal(
            TEXT_INVALID_FORMAT,
            SchemaValidationFailed(f"The payload of {envelope.type} is invalid.", data={"errors": details}),
        ) from None

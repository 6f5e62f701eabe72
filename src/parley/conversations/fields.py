"""The fields the filter language, the sort parameter and the cursor know, and their columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute

from parley.models.conversation import Conversation

FieldType = Literal["string", "number", "datetime", "boolean", "names", "handoff", "in_progress"]
CHANNELS = ("webchat", "api", "sms", "whatsapp", "voice")
CLIENT_ENVS = ("sandbox", "pre-release", "live")


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    column: InstrumentedAttribute[Any]
    lower_case: bool = False  # values are stored lower case (channel): compare case-insensitively


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("conversation_id", "string", Conversation.id),
        Field("started_at", "datetime", Conversation.started_at),
        Field("ended_at", "datetime", Conversation.ended_at),
        Field("duration", "number", Conversation.duration_seconds),
        Field("channel", "string", Conversation.channel, lower_case=True),
        Field("client_env", "string", Conversation.environment, lower_case=True),
        Field("variant_id", "string", Conversation.variant_id),
        Field("variant_name", "string", Conversation.variant_name),
        Field("in_progress", "in_progress", Conversation.status),
        Field("handoff", "handoff", Conversation.handoff_destination),
        Field("handoff_reason", "string", Conversation.handoff_reason),
        Field("turn_count", "number", Conversation.turn_count),
        Field("topic", "names", Conversation.topic_names),
        Field("function", "names", Conversation.function_names),
        Field("flow", "names", Conversation.flow_names),
        Field("caller_number", "string", Conversation.caller_number),
        Field("language", "string", Conversation.language),
    )
}

# Sort keys and the column each orders by; the conversation id always breaks ties.
SORT_COLUMNS: dict[str, Any] = {
    "started_at": Conversation.started_at,
    "duration": Conversation.duration_seconds,
    "conversation_id": Conversation.id,
}


def in_progress_is(value: bool) -> ColumnElement[bool]:
    active = Conversation.status == "active"
    return active if value else Conversation.status != "active"


def constant(value: bool) -> ColumnElement[bool]:
    return true() if value else false()

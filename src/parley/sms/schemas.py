"""SMS request and response bodies. The outbound body is snake_case, as PolyAI documents it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from parley.kit.schemas import RequestSchema, ResponseSchema
from parley.sms.sender import MAX_BODY_CHARS

Status = Literal["sent", "failed", "blocked_opt_out", "received"]
Direction = Literal["outbound", "inbound"]
NUMBER_MAX_CHARS = 64


class OutboundSmsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_number: str = Field(min_length=1, max_length=NUMBER_MAX_CHARS)
    message: str = Field(min_length=1, max_length=MAX_BODY_CHARS)
    agent_number: str | None = Field(default=None, min_length=1, max_length=NUMBER_MAX_CHARS)
    messaging_service_sid: str | None = Field(default=None, max_length=100)


class InboundSmsBody(RequestSchema):
    from_number: str = Field(alias="from", min_length=1, max_length=NUMBER_MAX_CHARS)
    to_number: str = Field(alias="to", min_length=1, max_length=NUMBER_MAX_CHARS)
    body: str = Field(max_length=MAX_BODY_CHARS)


class InboundSmsView(ResponseSchema):
    message_id: str
    # opted_out | opted_in | none: what the text did to the sender's opt-out.
    action: Literal["opted_out", "opted_in", "none"]


class SmsMessageView(ResponseSchema):
    id: str
    direction: Direction
    status: Status
    reason: str | None
    to: str | None
    # "from" is a Python keyword; the alias generator would call it "from_".
    from_: str | None = Field(serialization_alias="from")
    body: str
    template: str | None
    environment: str | None
    source: str
    conversation_id: str | None
    connector_id: str | None
    provider: str | None
    provider_message_id: str | None
    created_at: datetime


class SmsMessagesView(ResponseSchema):
    messages: list[SmsMessageView]

"""Handoff request and response bodies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints, field_validator

from parley.entities.fields import Description, ReferenceName, not_null
from parley.kit.schemas import RequestSchema, ResponseSchema

Method = Literal["refer", "invite", "bye"]
# The ADK's sip_config of an invite: where the INVITE goes, and how its media is carried.
Encryption = Literal["TLS/SRTP", "UDP/RTP"]
Endpoint = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Destination = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
MAX_SIP_HEADERS = 20


class SipHeader(RequestSchema):
    # An RFC 3261 token; values cannot hold CR/LF, so a header can never inject another one.
    key: Annotated[
        str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
    ]
    value: Annotated[str, StringConstraints(max_length=1000, pattern=r"^[^\x00-\x1f\x7f]*$")]


def _unique_keys(headers: list[SipHeader] | None) -> list[SipHeader] | None:
    keys = [header.key.lower() for header in headers or []]
    if len(set(keys)) != len(keys):
        raise ValueError("SIP header keys must be unique (ignoring case)")
    return headers


class CreateHandoffBody(RequestSchema):
    name: ReferenceName
    description: Description = ""
    method: Method
    destination: Destination | None = None
    reason: Reason = ""
    is_default: StrictBool | None = None
    sip_headers: list[SipHeader] = Field(default_factory=list, max_length=MAX_SIP_HEADERS)
    outbound_endpoint: Endpoint | None = None
    outbound_encryption: Encryption | None = None

    _sip_header_keys_unique = field_validator("sip_headers")(_unique_keys)


class UpdateHandoffBody(RequestSchema):
    name: ReferenceName | None = None
    description: Description | None = None
    method: Method | None = None
    # null clears it (a handoff changed to 'bye' has none).
    destination: Destination | None = None
    reason: Reason | None = None
    is_default: StrictBool | None = None
    sip_headers: list[SipHeader] | None = Field(default=None, max_length=MAX_SIP_HEADERS)
    # null clears them (a handoff changed from 'invite' has none).
    outbound_endpoint: Endpoint | None = None
    outbound_encryption: Encryption | None = None

    _present_fields_not_null = field_validator(
        "name", "description", "method", "reason", "is_default", "sip_headers", mode="before"
    )(not_null)
    _sip_header_keys_unique = field_validator("sip_headers")(_unique_keys)


class SipHeaderView(ResponseSchema):
    key: str
    value: str


class HandoffView(ResponseSchema):
    id: str
    name: str
    description: str
    method: str
    destination: str | None
    reason: str
    is_default: bool
    sip_headers: list[SipHeaderView]
    outbound_endpoint: str | None = None
    outbound_encryption: str | None = None


class HandoffsResponse(ResponseSchema):
    handoffs: list[HandoffView]

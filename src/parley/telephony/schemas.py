"""Connector and phone-number bodies and views, per the Agents spec (plus allowedHosts and token)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool

from parley.kit.schemas import RequestSchema, ResponseSchema

ClientEnv = Literal["sandbox", "pre-release", "live"]
MAX_BATCH = 1000


# --- Connectors -----------------------------------------------------------------------------


class CreateConnectorBody(RequestSchema):
    name: str = Field(min_length=1, max_length=200)
    client_env: ClientEnv
    variant_id: str | None = Field(default=None, max_length=64)
    allowed_hosts: list[str] | None = Field(default=None, max_length=100)
    asr_lang_code: str | None = Field(default=None, max_length=35)
    voice_name: str | None = Field(default=None, max_length=100)
    disable_handoff: StrictBool = False


class UpdateConnectorBody(RequestSchema):
    """Absent fields are left alone; null clears (name and projectId cannot be cleared)."""

    name: str | None = Field(default=None, max_length=200)
    variant_id: str | None = Field(default=None, max_length=64)
    asr_lang_code: str | None = Field(default=None, max_length=35)
    voice_name: str | None = Field(default=None, max_length=100)
    allowed_hosts: list[str] | None = Field(default=None, max_length=100)
    disable_handoff: StrictBool | None = None
    project_id: str | None = Field(default=None, max_length=64)


class BatchUpdateConnectorItem(UpdateConnectorBody):
    connector_id: str = Field(min_length=1, max_length=64)


class BatchUpdateConnectorsBody(RequestSchema):
    updates: list[BatchUpdateConnectorItem] = Field(min_length=1, max_length=MAX_BATCH)


class BatchGetConnectorsBody(RequestSchema):
    connector_ids: list[str] = Field(min_length=1, max_length=MAX_BATCH)


class LookupConnectorBody(RequestSchema):
    phone_number: str


class ConnectorView(ResponseSchema):
    connector_id: str
    name: str
    account_id: str
    project_id: str
    client_env: str
    variant_id: str
    asr_lang_code: str
    tts_lang_code: str
    voice_name: str
    disable_handoff: bool
    allowed_hosts: list[str]
    # Enough of the token to tell which one a client holds, never enough to use it.
    token_hint: str
    created_at: datetime
    updated_at: datetime


class ConnectorWithToken(ConnectorView):
    """Create and rotate-token only: the token is shown this once and stored hashed."""

    token: str


class ConnectorsView(ResponseSchema):
    connectors: list[ConnectorView]


class BatchGetConnectorsView(ResponseSchema):
    found: list[ConnectorView]
    not_found: list[str]


class BatchUpdateResultItem(ResponseSchema):
    connector_id: str
    success: bool
    data: ConnectorView | None = None
    error: str | None = None
    error_code: str | None = None


class BatchUpdateConnectorsView(ResponseSchema):
    results: list[BatchUpdateResultItem]


class DeleteConnectorView(ResponseSchema):
    deleted_connector: str
    deleted_phone_numbers: list[str]


# --- Phone numbers ---------------------------------------------------------------------------


class ImportPhoneNumbersBody(RequestSchema):
    phone_numbers: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    client_env: ClientEnv | None = None
    connector_id: str | None = Field(default=None, max_length=64)


class ImportPhoneNumberBody(RequestSchema):
    client_env: ClientEnv | None = None
    connector_id: str | None = Field(default=None, max_length=64)


class PhoneNumbersBody(RequestSchema):
    phone_numbers: list[str] = Field(min_length=1, max_length=MAX_BATCH)


class ReassignPhoneNumberBody(RequestSchema):
    connector_id: str = Field(min_length=1, max_length=64)


class PhoneNumberView(ResponseSchema):
    number: str
    project_id: str
    account_id: str
    client_env: str
    # Absent while the number is not routed to a connector.
    connector_id: str | None = None
    created_at: datetime


class PhoneNumbersView(ResponseSchema):
    phone_numbers: list[PhoneNumberView]


class ImportedView(ResponseSchema):
    imported: list[str]


class ImportedOneView(ResponseSchema):
    imported: str


class BatchGetPhoneNumbersView(ResponseSchema):
    found: list[PhoneNumberView]
    not_found: list[str]


class DeletePhoneNumberError(ResponseSchema):
    phone_number: str
    error: str
    error_code: str


class DeletePhoneNumbersView(ResponseSchema):
    deleted: list[str]
    # Omitted when empty, as in the spec.
    errors: list[DeletePhoneNumberError] | None = None


class DeletedOneView(ResponseSchema):
    deleted: str

"""Real-time config bodies and pages, per the Agents spec (ConfigPage, Update*Body)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from parley.kit.schemas import RequestSchema, ResponseSchema


class UpdateConfigSchemaBody(RequestSchema):
    json_schema: dict[str, Any] = Field(alias="schema", description="JSON Schema (Draft 7) definition")


class UpdateConfigVariablesBody(RequestSchema):
    variables: dict[str, Any] = Field(
        description="Key-value pairs shallow-merged into the current values; a null value removes the key"
    )


class ConfigPage(ResponseSchema):
    client_env: str
    variables: dict[str, Any]
    json_schema: dict[str, Any] = Field(alias="schema")
    # Absent for a page that was never written.
    last_updated: datetime | None = None


class ConfigPages(ResponseSchema):
    config_pages: list[ConfigPage]

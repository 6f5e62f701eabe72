from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from parley.kit.schemas import RequestSchema, ResponseSchema


class ResponseSettings(RequestSchema):
    greeting: str = Field(min_length=1, max_length=5000)
    language_code: str = Field(default="en-GB", min_length=1, max_length=35)


class VoiceSettings(RequestSchema):
    voice_id: str = Field(min_length=1, max_length=200)


class LlmSettings(RequestSchema):
    model_id: str | None = Field(default=None, max_length=200)


class ExperimentalConfigItem(RequestSchema):
    id: str
    features: dict[str, Any]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    active: bool


class ExperimentalConfig(RequestSchema):
    configs: list[ExperimentalConfigItem] = Field(max_length=100)


class CreateAgentBody(RequestSchema):
    name: str = Field(min_length=1, max_length=100)
    # Format checked by the service, which answers PROJECT_ID_INVALID (not a schema error).
    agent_id: str | None = Field(default=None, max_length=1000)
    response_settings: ResponseSettings
    voice_settings: VoiceSettings | None = None
    llm_settings: LlmSettings | None = None
    experimental_config: ExperimentalConfig | None = None


class DuplicateAgentBody(RequestSchema):
    new_agent_id: str | None = Field(default=None, max_length=1000)
    new_agent_name: str = Field(min_length=1, max_length=100)


class AgentSummary(ResponseSchema):
    account_id: str
    agent_id: str
    agent_name: str
    created_at: datetime
    updated_at: datetime
    branch_count: int

"""Chat API bodies: snake_case on the wire, as PolyAI's Chat API spec has them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from parley.kit.schemas import RequestSchema, ResponseSchema

Channel = Literal["webchat", "whatsapp", "sms", "api"]
MAX_MESSAGE_CHARS = 10_000


class _SnakeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateChatRequest(_SnakeRequest):
    integration_attributes: dict[str, Any] = Field(default_factory=dict)
    variant_id: str | None = Field(default=None, max_length=100)
    channel: Channel = "api"
    asr_lang_code: str | None = Field(default=None, max_length=35)
    tts_lang_code: str | None = Field(default=None, max_length=35)
    # parley extension: which environment to talk to (default live, or the connector's).
    environment: Literal["sandbox", "pre-release", "live"] | None = None


class CreateChatResponse(BaseModel):
    conversation_id: str
    response: str


class RespondChatRequest(_SnakeRequest):
    conversation_id: str = Field(min_length=1, max_length=100)
    message: str = Field(default="", max_length=MAX_MESSAGE_CHARS)
    integration_attributes: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    asr_lang_code: str | None = Field(default=None, max_length=35)
    tts_lang_code: str | None = Field(default=None, max_length=35)


class Handoff(BaseModel):
    destination: str
    reason: str


class RespondChatResponse(BaseModel):
    conversation_id: str
    response: str
    end_conversation: bool
    handoff: Handoff | None = None


class CloseChatRequest(_SnakeRequest):
    conversation_id: str = Field(min_length=1, max_length=100)


class CloseChatResponse(BaseModel):
    success: bool


ClientEnv = Literal["sandbox", "pre-release", "live", "draft"]


class CreateDebugChatBody(RequestSchema):
    model_config = ConfigDict(extra="ignore")

    client_env: ClientEnv
    asr_lang_code: str | None = Field(default=None, max_length=35)
    tts_lang_code: str | None = Field(default=None, max_length=35)
    conversation_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    variant_id: str | None = Field(default=None, max_length=100)
    channel: str | None = Field(default=None, max_length=50)
    integration_attributes: dict[str, Any] = Field(default_factory=dict)
    # parley extension: with clientEnv "draft", which branch to compile (default main).
    branch_id: str | None = Field(default=None, max_length=100)


class RespondDebugChatBody(RequestSchema):
    model_config = ConfigDict(extra="ignore")

    client_env: ClientEnv
    asr_lang_code: str | None = Field(default=None, max_length=35)
    tts_lang_code: str | None = Field(default=None, max_length=35)
    message: str = Field(default="", max_length=MAX_MESSAGE_CHARS)
    metadata: dict[str, Any] | None = None


class ChatMetadata(ResponseSchema):
    state: dict[str, Any]
    current_node: str
    node_trace: list[str]
    metrics: dict[str, Any]
    function_events: list[Any]
    handoff_destination: str | None = None
    retrieved_topics: list[str] = Field(default_factory=list)
    retrieved_sources: list[str] = Field(default_factory=list)
    cited_topic: str | None = None
    in_flow: str | None = None
    in_step: str | None = None
    llm_requests: list[dict[str, Any]] = Field(default_factory=list)
    asr_lang_code: str | None = None
    tts_lang_code: str | None = None


class DebugChatResponse(ResponseSchema):
    conversation_id: str
    user_input: str
    response: str
    metadata: ChatMetadata
    conversation_ended: bool
    delayed_response: bool

"""Request and response bodies of global, start and end functions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from parley.functions.parsing import MAX_SOURCE_CHARS
from parley.kit.schemas import RequestSchema, ResponseSchema

# An ASCII Python identifier: names appear in `{{fn:name}}`, in file names (ADK), and in `def`.
# Identifiers that Python or the runtime reserve pass this pattern and answer
# FUNCTIONS_RESERVED_NAME instead, so that error says why.
FunctionName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Code = Annotated[str, Field(min_length=1, max_length=MAX_SOURCE_CHARS)]
Description = Annotated[str, Field(max_length=5000)]
ShortText = Annotated[str, Field(max_length=200)]


class CreateFunctionBody(RequestSchema):
    name: FunctionName
    description: Description = ""
    code: Code


class UpdateFunctionBody(RequestSchema):
    name: FunctionName | None = None
    description: Description | None = None
    code: Code | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        # Leaving a field out keeps it; null is not a value any of these fields can take.
        if isinstance(data, dict):
            nulls = [key for key, value in data.items() if value is None]
            if nulls:
                raise ValueError(f"fields cannot be null: {', '.join(sorted(map(str, nulls)))[:200]}")
        return data


class SpecialFunctionBody(RequestSchema):
    code: Code


class HistoryTurn(RequestSchema):
    role: Literal["user", "agent"]
    text: Annotated[str, Field(max_length=10_000)]


class ExecuteContext(RequestSchema):
    """Optional conversation data for the ``conv`` object (defaults: a fresh draft chat)."""

    env: Literal["draft", "sandbox", "pre-release", "live"] = "draft"
    channel: Literal["api", "webchat", "voice", "sms", "whatsapp"] = "api"
    caller_number: ShortText | None = None
    variant_name: ShortText | None = None
    variant: dict[ShortText, str | int | float | bool | None] = Field(default_factory=dict, max_length=500)
    entities: dict[ShortText, Any] = Field(default_factory=dict, max_length=500)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=200)
    real_time_config: dict[str, Any] = Field(default_factory=dict)


class ExecuteBody(RequestSchema):
    args: dict[str, Any] = Field(default_factory=dict)
    state: dict[str, Any] = Field(default_factory=dict)
    context: ExecuteContext = Field(default_factory=ExecuteContext)


class FunctionView(ResponseSchema):
    id: str
    name: str
    description: str
    code: str
    # As derived from the signature: {name, type, required, default?}.
    parameters: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


class FunctionsResponse(ResponseSchema):
    functions: list[FunctionView]


class SpecialFunctionView(ResponseSchema):
    id: Literal["start", "end"]
    name: Literal["start_function", "end_function"]
    code: str
    created_at: datetime
    updated_at: datetime


class ExecuteResponse(ResponseSchema):
    return_value: Any
    effects: list[dict[str, Any]]
    state: dict[str, Any]

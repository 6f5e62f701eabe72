"""The optional per-step settings blocks of default and advanced steps (agent-model.md, 1.5).

The ADK keeps them in each step's YAML: ASR biasing, DTMF collection, the ASR and VAD models, barge
in and the step's LLM. They shape voice input and the model a step runs on, so parley's chat
runtime does not act on them; it stores, validates, exports, merges and deploys them, so a project
pushed from the ADK or edited in Agent Studio keeps them. A block is stored as sent (fields left
out stay out); sending a block replaces it whole. As in the ADK, a block cannot be removed, only
turned off (``isEnabled: false``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from parley.kit.schemas import RequestSchema

SETTINGS_FIELDS = ("asrBiasing", "dtmfConfig", "asr", "vad", "bargeIn", "llm")

KEYWORDS_MAX = 100
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Finite and not negative: the ADK refuses "VAD vad_start must be a finite number" and negatives.
Seconds = Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False)]
Threshold = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
ReasoningEffort = Literal["unspecified", "minimal", "low", "medium", "high", "auto"]


class AsrBiasing(RequestSchema):
    """Which kinds of answer the recogniser should expect at this step."""

    is_enabled: bool
    alphanumeric: bool | None = None
    name_spelling: bool | None = None
    numeric: bool | None = None
    party_size: bool | None = None
    precise_date: bool | None = None
    relative_date: bool | None = None
    single_number: bool | None = None
    time: bool | None = None
    yes_no: bool | None = None
    address: bool | None = None
    custom_keywords: list[Keyword] | None = Field(default=None, max_length=KEYWORDS_MAX)


class DtmfConfig(RequestSchema):
    """Keypad input at this step."""

    is_enabled: bool
    inter_digit_timeout: Seconds | None = None
    max_digits: Annotated[int, Field(ge=0, le=100)] | None = None
    end_key: Annotated[str, StringConstraints(pattern=r"^[0-9*#]$")] | None = None
    collect_while_agent_speaking: bool | None = None
    is_pii: bool | None = None


class AsrModel(RequestSchema):
    provider: ModelName | None = None
    model: ModelName | None = None


class VadSettings(RequestSchema):
    """Voice-activity detection: when the caller starts and stops speaking."""

    provider: ModelName | None = None
    vad_start: Seconds | None = None
    vad_end: Seconds | None = None
    speech_threshold: Threshold | None = None
    silence_threshold: Threshold | None = None


class BargeIn(RequestSchema):
    is_enabled: bool


class StepLlm(RequestSchema):
    provider_model_id: ModelName | None = None
    reasoning_effort: ReasoningEffort | None = None


def stored_block(block: dict[str, Any]) -> dict[str, Any]:
    """A settings block as stored and returned: the fields that were sent."""
    return {key: value for key, value in block.items() if value is not None}

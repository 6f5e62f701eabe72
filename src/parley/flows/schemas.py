"""Bodies of flows, steps and transition functions (camelCase on the wire, unknown fields refused).

Each response model mirrors the JSON document stored for the resource, so what a client reads is
exactly what branch merge, export and compile see.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, field_validator, model_validator

from parley.branches.names import clean_name
from parley.flows.step_settings import AsrBiasing, AsrModel, BargeIn, DtmfConfig, StepLlm, VadSettings
from parley.functions.parsing import MAX_SOURCE_CHARS
from parley.kit.schemas import RequestSchema, ResponseSchema

NAME_MAX = 100
CONDITION_NAME_MAX = 50  # the no-code condition label limit of Agent Studio
DESCRIPTION_MAX = 5_000
PROMPT_MAX = 50_000
LIST_MAX = 50

StepType = Literal["default", "advanced", "function"]
ConditionType = Literal["step", "exit_flow"]

# The ADK's rule for step names: letters (accented included), digits, spaces and `_ & , / . -`.
_STEP_NAME = re.compile(r"[\w &,/.\-]+")


def _display_name(value: str) -> str:
    # NFC so that one visible name has one stored spelling (and one clean_name).
    value = unicodedata.normalize("NFC", value)
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("must not contain control characters")
    if not any(char.isalnum() for char in value):
        raise ValueError("must contain at least one letter or digit")
    return value


def _step_name(value: str) -> str:
    value = _display_name(value)
    if not _STEP_NAME.fullmatch(value):
        raise ValueError("may contain only letters, digits, spaces and _ & , / . -")
    return value


def _identifier(value: str) -> str:
    # Python folds identifiers with NFKC, so a name that changes under NFKC would define another name.
    if not value.isidentifier() or unicodedata.normalize("NFKC", value) != value:
        raise ValueError("must be a Python identifier: letters, digits and _, not starting with a digit")
    return value


def _trimmed(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _no_duplicates(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    seen: set[str] = set()
    for value in values:
        key = clean_name(value)
        if key in seen:
            raise ValueError(f"'{value}' is listed twice")
        seen.add(key)
    return values


def _reject_null(value: Any) -> Any:
    # Omitting a field keeps it; an explicit null would silently erase a required value.
    if value is None:
        raise ValueError("must not be null: omit the field to leave it unchanged")
    return value


FlowName = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX), AfterValidator(_display_name)]
StepName = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX), AfterValidator(_step_name)]
ConditionName = Annotated[
    str, StringConstraints(min_length=1, max_length=CONDITION_NAME_MAX), AfterValidator(_display_name)
]
EntityName = Annotated[
    str, StringConstraints(min_length=1, max_length=NAME_MAX), AfterValidator(_display_name)
]
FunctionName = Annotated[
    str, StringConstraints(min_length=1, max_length=NAME_MAX), AfterValidator(_identifier)
]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX), AfterValidator(_trimmed)]
Prompt = Annotated[str, StringConstraints(min_length=1, max_length=PROMPT_MAX), AfterValidator(_not_blank)]
Code = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_SOURCE_CHARS), AfterValidator(_not_blank)
]
EntityNames = Annotated[list[EntityName], Field(max_length=LIST_MAX), AfterValidator(_no_duplicates)]


def sent_fields(body: BaseModel) -> dict[str, Any]:
    """The top-level fields the client sent, camelCase, each dumped whole (nested defaults included).

    ``model_dump(exclude_unset=True)`` would also drop the defaults of nested models, such as a
    condition's omitted ``requiredEntities``.
    """
    dumped = body.model_dump(by_alias=True)
    fields = type(body).model_fields
    return {fields[name].alias or name: dumped[fields[name].alias or name] for name in body.model_fields_set}


# --- Flows ------------------------------------------------------------------------------------


class CreateFlowBody(RequestSchema):
    name: FlowName
    description: Description = ""
    # Accepted so that a client sending it learns why it fails: a new flow has no steps yet.
    start_step: StepName | None = None


class UpdateFlowBody(RequestSchema):
    name: FlowName | None = None
    description: Description | None = None
    start_step: StepName | None = None  # null clears it

    _no_nulls = field_validator("name", "description", mode="before")(_reject_null)


class FlowView(ResponseSchema):
    id: str
    name: str
    description: str
    start_step: str | None


class FlowsResponse(ResponseSchema):
    flows: list[FlowView]


# --- Steps ------------------------------------------------------------------------------------


class ConditionBody(RequestSchema):
    name: ConditionName
    condition_type: ConditionType
    description: Description = ""
    child_step: StepName | None = None
    required_entities: EntityNames = Field(default_factory=list)

    @model_validator(mode="after")
    def _child_step_matches_type(self) -> ConditionBody:
        if self.condition_type == "step" and self.child_step is None:
            raise ValueError("a step condition needs childStep: the name of the step it moves to")
        if self.condition_type == "exit_flow" and self.child_step is not None:
            raise ValueError("an exit_flow condition leaves the flow, so it takes no childStep")
        return self


def _unique_conditions(conditions: list[ConditionBody] | None) -> list[ConditionBody] | None:
    _no_duplicates([c.name for c in conditions or []])
    return conditions


Conditions = Annotated[list[ConditionBody], Field(max_length=LIST_MAX), AfterValidator(_unique_conditions)]


class _StepFields(RequestSchema):
    """Every field any step type takes; which ones apply to which type is the service's rule."""

    name: StepName | None = None
    step_type: StepType | None = None
    prompt: Prompt | None = None
    extracted_entities: EntityNames | None = None
    conditions: Conditions | None = None
    code: Code | None = None
    asr_biasing: AsrBiasing | None = None
    dtmf_config: DtmfConfig | None = None
    asr: AsrModel | None = None
    vad: VadSettings | None = None
    barge_in: BargeIn | None = None
    llm: StepLlm | None = None

    # A settings block cannot be removed either, only turned off (step_settings.py).
    _no_nulls = field_validator(
        "name",
        "step_type",
        "prompt",
        "extracted_entities",
        "conditions",
        "code",
        "asr_biasing",
        "dtmf_config",
        "asr",
        "vad",
        "barge_in",
        "llm",
        mode="before",
    )(_reject_null)


class CreateStepBody(_StepFields):
    name: StepName
    step_type: StepType


class UpdateStepBody(_StepFields):
    pass


class ConditionView(ResponseSchema):
    name: str
    condition_type: ConditionType
    description: str
    child_step: str | None = None
    required_entities: list[str]


class StepView(ResponseSchema):
    """Fields that do not apply to the step's type are absent (routes drop the Nones)."""

    id: str
    name: str
    step_type: StepType
    prompt: str | None = None
    extracted_entities: list[str] | None = None
    conditions: list[ConditionView] | None = None
    code: str | None = None
    function_name: str | None = None
    asr_biasing: dict[str, Any] | None = None
    dtmf_config: dict[str, Any] | None = None
    asr: dict[str, Any] | None = None
    vad: dict[str, Any] | None = None
    barge_in: dict[str, Any] | None = None
    llm: dict[str, Any] | None = None


class StepsResponse(ResponseSchema):
    steps: list[StepView]


# --- Transition functions ---------------------------------------------------------------------


class CreateFunctionBody(RequestSchema):
    name: FunctionName
    description: Description = ""
    code: Code


class UpdateFunctionBody(RequestSchema):
    name: FunctionName | None = None
    description: Description | None = None
    code: Code | None = None

    _no_nulls = field_validator("name", "description", "code", mode="before")(_reject_null)


class ParameterView(ResponseSchema):
    """``default`` is present only for optional parameters (routes drop unset fields)."""

    name: str
    type: Literal["str", "int", "float", "bool"]
    required: bool
    default: Any = None


class FunctionView(ResponseSchema):
    id: str
    name: str
    description: str
    code: str
    parameters: list[ParameterView]


class FunctionsResponse(ResponseSchema):
    functions: list[FunctionView]

"""Test case, test run and test settings bodies (camelCase on the wire, unknown fields refused)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import regex
from pydantic import (
    Field,
    StrictBool,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from parley.kit.schemas import RequestSchema, ResponseSchema

MAX_TURNS = 50
MAX_ASSERTIONS = 50
NAME_MAX_CHARS = 100
TEXT_MAX_CHARS = 4000
REGEX_MAX_CHARS = 500

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_CHARS)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX_CHARS)]
Turn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX_CHARS)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# BCP-47-shaped: "en-GB", "es", "zh-Hant-TW".
Language = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")
]
CallerNumber = Annotated[
    StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^\+?[0-9]+$")
]
Channel = Literal["voice", "webchat"]
ValueType = Literal["string", "integer", "number", "boolean"]
Environment = Literal["sandbox", "pre-release", "live"]


class ArgumentAssertion(RequestSchema):
    parameter_name: Short
    # A string, as in the ADK; value_type says how to read it before comparing.
    expected_value: Annotated[StrictStr, StringConstraints(max_length=1000)]
    value_type: ValueType = "string"

    @model_validator(mode="after")
    def _value_fits_type(self) -> ArgumentAssertion:
        from parley.testing.evaluation import typed_value

        typed_value(self.expected_value, self.value_type)  # raises ValueError with a clear message
        return self


class FunctionCallAssertion(RequestSchema):
    name: Short
    arguments: list[ArgumentAssertion] = Field(default_factory=list, max_length=50)


class ResponseAssertion(RequestSchema):
    type: Literal["contains", "not_contains", "regex"]
    value: Annotated[StrictStr, StringConstraints(min_length=1, max_length=1000)]
    # 0 is the greeting, n the reply to userTurns[n-1]; omitted: any reply (not_contains: every reply).
    turn: Annotated[int, Field(ge=0, le=MAX_TURNS, strict=True)] | None = None
    case_sensitive: StrictBool = False

    @model_validator(mode="after")
    def _regex_compiles(self) -> ResponseAssertion:
        if self.type == "regex":
            if len(self.value) > REGEX_MAX_CHARS:
                raise ValueError(f"a regex may have at most {REGEX_MAX_CHARS} characters")
            try:
                regex.compile(self.value)
            except regex.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return self


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("simulatedAt needs a time zone (for example 2027-03-14T09:00:00Z)")
    return value.astimezone(UTC)


class _TestCaseFields(RequestSchema):
    scenario: Text | None = None
    channel: Channel | None = None
    language: Language | None = None
    variant: Short | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    simulated_at: datetime | None = None
    caller_number: CallerNumber | None = None
    sip_headers: dict[Short, Annotated[StrictStr, StringConstraints(max_length=1000)]] | None = Field(
        default=None, max_length=50
    )
    integration_attributes: dict[Short, Any] | None = Field(default=None, max_length=100)
    prompt_assertions: (
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]] | None
    ) = Field(default=None, max_length=MAX_ASSERTIONS)
    function_call_assertions: list[FunctionCallAssertion] | None = Field(
        default=None, max_length=MAX_ASSERTIONS
    )
    user_turns: list[Turn] | None = Field(default=None, max_length=MAX_TURNS)
    response_assertions: list[ResponseAssertion] | None = Field(default=None, max_length=MAX_ASSERTIONS)

    _simulated_at_utc = field_validator("simulated_at")(_utc)


class CreateTestCaseBody(_TestCaseFields):
    name: Name

    @model_validator(mode="after")
    def _has_something_to_say(self) -> CreateTestCaseBody:
        if not (self.scenario or "").strip() and not self.user_turns:
            raise ValueError("a test case needs a scenario (simulated caller) or userTurns (scripted)")
        return self


class UpdateTestCaseBody(_TestCaseFields):
    """Fields left out stay as they are; null clears an optional field."""

    name: Name | None = None

    @field_validator("name", "channel", mode="before")
    @classmethod
    def _required_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class TestCaseView(ResponseSchema):
    __test__ = False

    id: str
    name: str
    scenario: str
    channel: str
    language: str | None = None
    variant: str | None = None
    tags: list[str]
    simulated_at: str | None = None
    caller_number: str | None = None
    sip_headers: dict[str, str]
    integration_attributes: dict[str, Any]
    prompt_assertions: list[str]
    function_call_assertions: list[dict[str, Any]]
    user_turns: list[str]
    response_assertions: list[dict[str, Any]]


class TestCasesResponse(ResponseSchema):
    __test__ = False

    test_cases: list[TestCaseView]


class TriggerBody(RequestSchema):
    branch_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    # Omitted: the branch's draft. Given: that environment's active deployment.
    environment: Environment | None = None
    test_case_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=1000
    )


class TestSettingsBody(RequestSchema):
    __test__ = False

    run_on_deploy: StrictBool | None = None
    block_live_on_failure: StrictBool | None = None


class TestSettingsView(ResponseSchema):
    __test__ = False

    run_on_deploy: bool
    block_live_on_failure: bool


class TestResultView(ResponseSchema):
    __test__ = False

    test_case_id: str
    name: str
    status: str
    reason: str
    conversation_id: str | None = None
    response_assertion_results: list[dict[str, Any]]
    prompt_assertion_results: list[dict[str, Any]]
    function_call_failures: list[dict[str, Any]]
    raw_conversation: dict[str, Any]
    started_at: str
    finished_at: str
    duration_ms: float


class TestRunView(ResponseSchema):
    __test__ = False

    id: str
    agent_id: str
    branch_id: str | None = None
    environment: str
    deployment_id: str | None = None
    version: str | None = None
    trigger: str
    status: str
    test_case_ids: list[str]
    test_case_count: int
    passed_count: int
    failed_count: int
    error_count: int
    timed_out_count: int
    error: str | None = None
    created_by: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    results: list[TestResultView] | None = None


class TestRunsResponse(ResponseSchema):
    __test__ = False

    test_runs: list[TestRunView]

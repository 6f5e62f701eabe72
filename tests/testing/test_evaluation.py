"""The scripted checks on their own: typed argument equality and response assertions."""

from __future__ import annotations

from typing import Any

import pytest

from parley.testing.evaluation import Transcript, check_function_call, check_response, typed_value
from parley.testing.runner import run_status


def call(**arguments: Any) -> list[dict[str, Any]]:
    return [{"name": "book_room", "arguments": arguments, "result": "ok"}]


def expect(parameter: str, value: str, value_type: str) -> dict[str, Any]:
    return {
        "name": "book_room",
        "arguments": [{"parameterName": parameter, "expectedValue": value, "valueType": value_type}],
    }


@pytest.mark.parametrize(
    ("actual", "value", "value_type", "passes"),
    [
        (2, "2", "integer", True),
        (2.0, "2", "integer", True),
        (2.5, "2", "integer", False),
        (True, "1", "integer", False),  # a boolean is not a number here
        ("2", "2", "integer", False),
        (2.5, "2.5", "number", True),
        (3, "3.0", "number", True),
        (True, "true", "boolean", True),
        (False, "TRUE", "boolean", False),
        ("yes", "true", "boolean", False),
        ("London", "London", "string", True),
        ("london", "London", "string", False),
        (7, "7", "string", False),
    ],
)
def test_typed_argument_equality(actual: Any, value: str, value_type: str, passes: bool) -> None:
    failure = check_function_call(expect("nights", value, value_type), call(nights=actual))
    assert (failure is None) is passes, failure
    if failure is not None:
        assert failure["failureReason"].startswith("book_room was called with other arguments: nights=")


def test_expected_values_must_fit_their_type() -> None:
    assert typed_value(" 42 ", "integer") == 42
    for value, value_type in (("two", "integer"), ("1e", "number"), ("yes", "boolean")):
        with pytest.raises(ValueError, match="expectedValue"):
            typed_value(value, value_type)


def test_failed_calls_report_their_error() -> None:
    calls = [{"name": "book_room", "arguments": {}, "error": {"errorType": "KeyError", "message": "'x'"}}]
    failure = check_function_call({"name": "book_room"}, calls)
    assert failure == {
        "name": "book_room",
        "failureReason": "book_room was called but failed: KeyError: 'x'",
        "error": "KeyError: 'x'",
    }


async def test_response_assertions() -> None:
    transcript = Transcript()
    transcript.add("", "Welcome!", [])
    transcript.add("hi", "Breakfast is at 7am.", [])
    assert (await check_response({"type": "regex", "value": r"\d+am", "turn": 1}, transcript))["isPass"]
    assert not (await check_response({"type": "contains", "value": "x", "turn": 5}, transcript))["isPass"]
    result = await check_response({"type": "not_contains", "value": "WELCOME"}, transcript)
    assert result == {
        "turn": None,
        "type": "not_contains",
        "value": "WELCOME",
        "isPass": False,
        "reason": "reply 0 contains 'WELCOME': 'Welcome!'",
    }
    sensitive = {"type": "not_contains", "value": "WELCOME", "caseSensitive": True}
    assert (await check_response(sensitive, transcript))["isPass"]
    # A catastrophic pattern fails its assertion instead of hanging the server.
    transcript.add("x", "a" * 60 + "!", [])
    slow = await check_response({"type": "regex", "value": r"(a|aa)+$", "turn": 2}, transcript)
    assert slow["isPass"] is False and slow["reason"] == "the regular expression took too long"


def test_run_status_precedence() -> None:
    assert run_status([]) == "passed"
    assert run_status(["passed", "errored"]) == "errored"
    assert run_status(["errored", "timed_out"]) == "timed_out"
    assert run_status(["timed_out", "failed", "passed"]) == "failed"

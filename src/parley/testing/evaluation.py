"""Checking a finished test conversation against a case's scripted assertions (no model needed).

Every check returns a readable reason, because the reason is what a user sees when a case fails.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import regex

# A user regex runs off the event loop with a deadline: a catastrophic pattern fails its assertion
# instead of freezing the server or leaving a thread spinning.
REGEX_SECONDS = 1.0
_SHOWN = 120


@dataclass
class Transcript:
    """Turn 0 is the greeting; turn n answers userTurns[n-1]."""

    turns: list[dict[str, Any]] = field(default_factory=list)
    ended_early_at: int | None = None  # the turn after which the agent ended the conversation

    def add(self, user_input: str, agent_response: str, function_calls: list[dict[str, Any]]) -> None:
        self.turns.append(
            {"userInput": user_input, "agentResponse": agent_response, "functionCalls": function_calls}
        )

    def calls(self) -> list[dict[str, Any]]:
        return [call for turn in self.turns for call in turn["functionCalls"]]

    def as_json(self) -> dict[str, Any]:
        return {"turns": self.turns, "endedEarlyAtTurn": self.ended_early_at}


def typed_value(text: str, value_type: str) -> Any:
    """An expected value read as its declared type; ValueError says why it cannot be."""
    if value_type == "integer":
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"expectedValue '{text[:50]}' is not an integer") from None
    if value_type == "number":
        try:
            return float(text.strip())
        except ValueError:
            raise ValueError(f"expectedValue '{text[:50]}' is not a number") from None
    if value_type == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"expectedValue '{text[:50]}' is not true or false")
        return lowered == "true"
    return text


def _matches(actual: Any, expected: Any, value_type: str) -> bool:
    if value_type == "boolean":
        return isinstance(actual, bool) and actual is expected
    if isinstance(actual, bool):
        return False  # True is not the integer 1 here
    if value_type == "integer":
        return isinstance(actual, int | float) and float(actual).is_integer() and int(actual) == expected
    if value_type == "number":
        return isinstance(actual, int | float) and abs(float(actual) - expected) <= 1e-9 * max(
            1.0, abs(expected)
        )
    return isinstance(actual, str) and actual == expected


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def check_function_call(assertion: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any] | None:
    """None when some recorded call matches; else a failure {name, failureReason, error}."""
    name = str(assertion["name"])
    candidates = [c for c in calls if c.get("name") == name]
    if not candidates:
        called = sorted({str(c.get("name")) for c in calls})
        return {
            "name": name,
            "failureReason": f"{name} was never called (called: {', '.join(called) or 'nothing'}).",
            "error": None,
        }
    wanted = [
        (
            str(a["parameterName"]),
            typed_value(str(a["expectedValue"]), str(a.get("valueType", "string"))),
            str(a.get("valueType", "string")),
        )
        for a in assertion.get("arguments") or []
    ]
    reasons: list[str] = []
    errors: list[str] = []
    for call in candidates:
        if call.get("error"):
            error = call["error"]
            detail = error.get("message") if isinstance(error, dict) else error
            kind = error.get("errorType") if isinstance(error, dict) else None
            errors.append(f"{kind + ': ' if kind else ''}{detail}")
        arguments = call.get("arguments") or {}
        mismatches = [
            f"{param}={_shown(arguments.get(param, '<missing>'))} "
            f"(expected {_shown(expected)} as {value_type})"
            for param, expected, value_type in wanted
            if param not in arguments or not _matches(arguments[param], expected, value_type)
        ]
        if not mismatches and not call.get("error"):
            return None
        if mismatches:
            reasons.append(", ".join(mismatches))
    if errors:
        return {
            "name": name,
            "failureReason": f"{name} was called but failed: {errors[0]}",
            "error": errors[0],
        }
    return {
        "name": name,
        "failureReason": f"{name} was called with other arguments: {'; '.join(reasons[:3])}.",
        "error": None,
    }


async def _search(pattern: str, text: str, flags: int) -> bool | None:
    """None when the pattern runs out of time (the regex module stops it: no thread left spinning)."""
    try:
        found = await asyncio.to_thread(regex.search, pattern, text, flags, timeout=REGEX_SECONDS)
    except TimeoutError:
        return None
    return found is not None


async def _holds(kind: str, value: str, text: str, case_sensitive: bool) -> bool | None:
    if kind == "regex":
        return await _search(value, text, 0 if case_sensitive else regex.IGNORECASE)
    inside = value in text if case_sensitive else value.casefold() in text.casefold()
    return inside if kind == "contains" else not inside


async def check_response(assertion: dict[str, Any], transcript: Transcript) -> dict[str, Any]:
    """{turn, type, value, isPass, reason} for one response assertion."""
    kind, value = str(assertion["type"]), str(assertion["value"])
    case_sensitive = bool(assertion.get("caseSensitive"))
    turn = assertion.get("turn")
    result: dict[str, Any] = {"turn": turn, "type": kind, "value": value}
    verb = {"contains": "contain", "not_contains": "not contain", "regex": "match"}[kind]
    if turn is not None:
        if turn >= len(transcript.turns):
            reason = (
                f"there is no reply {turn}: the conversation ended after reply {len(transcript.turns) - 1}"
            )
            return {**result, "isPass": False, "reason": reason}
        text = str(transcript.turns[turn]["agentResponse"])
        holds = await _holds(kind, value, text, case_sensitive)
        if holds is None:
            return {**result, "isPass": False, "reason": "the regular expression took too long"}
        shown = _shown(text)
        reason = f"reply {turn} {'does' if holds else 'does not'} {verb} {_shown(value)}: {shown}"
        return {**result, "isPass": holds, "reason": reason}
    replies = [str(t["agentResponse"]) for t in transcript.turns]
    outcomes = [await _holds(kind, value, text, case_sensitive) for text in replies]
    if any(o is None for o in outcomes):
        return {**result, "isPass": False, "reason": "the regular expression took too long"}
    if kind == "not_contains":
        bad = [i for i, ok in enumerate(outcomes) if not ok]
        if bad:
            return {
                **result,
                "isPass": False,
                "reason": f"reply {bad[0]} contains {_shown(value)}: {_shown(replies[bad[0]])}",
            }
        return {**result, "isPass": True, "reason": f"no reply contains {_shown(value)}"}
    good = [i for i, ok in enumerate(outcomes) if ok]
    if good:
        return {**result, "isPass": True, "reason": f"reply {good[0]} does {verb} {_shown(value)}"}
    return {**result, "isPass": False, "reason": f"no reply does {verb} {_shown(value)}"}

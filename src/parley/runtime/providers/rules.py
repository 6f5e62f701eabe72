"""The default provider: deterministic, no network. Retrieval answers, prompts spoken as written,
tools called with arguments filled from typed extraction of the user's message."""

from __future__ import annotations

from datetime import date
from typing import Any

from parley.runtime.entities import extract
from parley.runtime.providers.base import Decision, DecisionRequest, Tool, ToolCall

# A parameter of one of these types, with a name like the key, is filled by that extractor.
_TYPE_EXTRACTORS = {"int": "number", "float": "number"}


def _today(request: DecisionRequest) -> date:
    try:
        return date.fromisoformat(request.today)
    except ValueError:
        return date.today()


def fill_arguments(tool: Tool, message: str, entities: dict[str, Any], today: date) -> dict[str, Any] | None:
    """Arguments for a tool from what the user said; None when a required one cannot be filled."""
    arguments: dict[str, Any] = {}
    for parameter in tool.parameters:
        name, kind = str(parameter["name"]), str(parameter.get("type", "str"))
        value: Any = entities.get(name)
        if value is None:
            lowered = name.lower()
            guess = next(
                (t for t in ("date", "time", "email", "phone_number", "name") if t in lowered),
                _TYPE_EXTRACTORS.get(kind),
            )
            if guess:
                value = extract({"type": guess}, message, today)
            elif kind == "str" and message.strip():
                value = message.strip()
            elif kind == "bool":
                yes_no = extract({"type": "yes_no"}, message, today)
                value = None if yes_no is None else yes_no == "yes"
        if value is None:
            if parameter.get("required", True):
                return None
            continue
        arguments[name] = _coerce(value, kind)
    return arguments


def _coerce(value: Any, kind: str) -> Any:
    try:
        if kind == "int":
            return int(float(value))
        if kind == "float":
            return float(value)
        if kind == "bool":
            return bool(value)
    except (TypeError, ValueError):
        return value
    return value if kind != "str" else str(value)


class RulesProvider:
    name = "rules"

    async def aclose(self) -> None:
        """Nothing to release: no connections."""

    async def decide(self, request: DecisionRequest) -> Decision:
        today = _today(request)
        entities = {}
        for entity in request.entities:
            value = extract(entity, request.message, today)
            if value is not None:
                entities[str(entity["name"])] = value
        if not request.tool_results:
            calls = []
            for tool in request.tools:
                arguments = fill_arguments(tool, request.message, entities, today)
                if arguments is not None:
                    calls.append(ToolCall(tool.name, arguments))
            if calls:
                return Decision(tool_calls=calls, entities=entities)
        parts: list[str] = []
        if request.step_prompt:
            parts.append(request.step_prompt)
        elif request.topics:
            parts.append(str(request.topics[0].get("content", "")))
        parts += [r.content for r in request.tool_results if r.content]
        reply = "\n".join(p for p in parts if p.strip()) or None
        return Decision(reply=reply, entities=entities)

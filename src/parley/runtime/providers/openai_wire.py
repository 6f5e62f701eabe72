"""The chat-completions wire format: a DecisionRequest in, a request body out; a response body in,
a Decision out. Pure: no I/O, so the HTTP side (openai.py) only moves bytes and handles failure.

The engine (engine.py) re-sends the whole turn on every tool round, so everything the model needs
(earlier tool calls and their results) is rebuilt here from the request each time.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from parley.runtime.entities import EXTRACTORS, extract
from parley.runtime.providers.base import Decision, DecisionRequest, Tool, ToolCall

ENTITY_TOOL = "record_entities"
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
# What OpenAI accepts as a function name; other compatible servers are no more lenient.
_WIRE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TOOL_REFERENCE = re.compile(r"\{\{f[nt]:([\w-]+)\}\}")
# Entity types whose value is the model's own words: no extractor can improve on them.
_VERBATIM_ENTITY_TYPES = frozenset({"free_text", "name"})
_ENTITY_FORMATS = {
    "date": "A calendar date, YYYY-MM-DD.",
    "time": "A time of day, 24-hour HH:MM.",
    "phone_number": "A phone number, in international format when known.",
    "email": "An email address.",
    "name": "A person's name.",
    "free_text": "The user's words.",
}


class MalformedResponse(ValueError):
    """The upstream answered 2xx with a body that is not a chat completion."""


@dataclass
class WireNames:
    """Tool names as sent upstream, and the way back to ours."""

    to_tool: dict[str, str] = field(default_factory=dict)
    entity_tool: str | None = None


def call_id(index: int) -> str:
    # Nine alphanumerics: the strictest compatible servers (Mistral) accept nothing else, and the
    # index keeps ids unique within the one request that uses them.
    return f"call{index:05d}"


def wire_name(name: str) -> str:
    if _WIRE_NAME.match(name):
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:55]
    return f"{safe}_{digest}"


# --- request -------------------------------------------------------------------------------------


def build_body(request: DecisionRequest, model: str) -> tuple[dict[str, Any], WireNames]:
    names = WireNames()
    tools = _tools(request.tools, names)
    if request.entities:
        names.entity_tool = _free_name(ENTITY_TOOL, names)
        tools.append(_entity_tool(names.entity_tool, request.entities))
    body: dict[str, Any] = {"model": model, "messages": _messages(request, names.entity_tool)}
    if tools:
        body["tools"] = tools
        if names.entity_tool and not request.tools:
            # A default step speaks its own prompt whatever the model says: the one thing it is
            # asked for is the extraction, so ask for that and nothing else.
            body["tool_choice"] = {"type": "function", "function": {"name": names.entity_tool}}
        else:
            body["tool_choice"] = "auto"
    return body, names


def system_prompt(request: DecisionRequest, entity_tool: str | None = None) -> str:
    sections: list[str] = []
    if request.system_prompt.strip():
        sections.append(request.system_prompt.strip())
    if request.step_prompt and request.step_prompt.strip():
        sections.append(f"## Current step\nFollow this instruction now:\n{request.step_prompt.strip()}")
    if request.topics:
        sections.append(_knowledge(request.topics))
    if request.entities and entity_tool:
        lines = [f"- {e['name']}: {e.get('description') or e.get('type', '')}" for e in request.entities]
        sections.append(
            f"## Details to collect\nWhen the user gives any of these, call `{entity_tool}` with them:\n"
            + "\n".join(lines)
        )
    sections.append(f"Today's date is {request.today or date.today().isoformat()}.")
    return "\n\n".join(sections)


def _knowledge(topics: list[dict[str, Any]]) -> str:
    parts = ["## Knowledge\nAnswer from these topics when they are relevant; do not invent facts."]
    for topic in topics:
        entry = f"### {topic.get('name', '')}\n{str(topic.get('content', '')).strip()}"
        actions = str(topic.get("actions") or "").strip()
        if actions:
            # A {{fn:x}} reference means "the tool x": say it the way the model sees the tool.
            entry += "\nActions: " + _TOOL_REFERENCE.sub(
                lambda m: f"the `{wire_name(m.group(1))}` tool", actions
            )
        parts.append(entry)
    return "\n\n".join(parts)


def _messages(request: DecisionRequest, entity_tool: str | None) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt(request, entity_tool)}]
    history = list(request.history)
    # The engine records the user's message in the history before it asks for a decision.
    if history and history[-1].get("role") == "user" and history[-1].get("text") == request.message:
        history.pop()
    for turn in history:
        role = {"user": "user", "agent": "assistant"}.get(str(turn.get("role")))
        text = str(turn.get("text") or "")
        if role and text:
            messages.append({"role": role, "content": text})
    messages.append({"role": "user", "content": request.message})
    if request.tool_results:
        # Results arrive as one flat list across rounds, so they are replayed as one assistant
        # turn that made every call, followed by one tool message per call, in order.
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id(index),
                        "type": "function",
                        "function": {
                            "name": wire_name(result.name),
                            "arguments": json.dumps(result.arguments, ensure_ascii=False),
                        },
                    }
                    for index, result in enumerate(request.tool_results)
                ],
            }
        )
        for index, result in enumerate(request.tool_results):
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id(index),
                    "content": result.content or "The tool returned nothing.",
                }
            )
    return messages


def _tools(tools: list[Tool], names: WireNames) -> list[dict[str, Any]]:
    # The engine looks tools up by name, last one winning: send the same one.
    unique = {tool.name: tool for tool in tools}
    schemas: list[dict[str, Any]] = []
    for tool in unique.values():
        name = wire_name(tool.name)
        names.to_tool[name] = tool.name
        function: dict[str, Any] = {"name": name}
        if tool.description.strip():
            function["description"] = tool.description.strip()
        function["parameters"] = _parameters_schema(tool.parameters)
        schemas.append({"type": "function", "function": function})
    return schemas


def _parameters_schema(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for parameter in parameters:
        name = str(parameter["name"])
        schema: dict[str, Any] = {}
        json_type = _JSON_TYPES.get(str(parameter.get("type", "str")))
        if json_type:
            schema["type"] = json_type
        if "default" in parameter and parameter["default"] is not None:
            schema["default"] = parameter["default"]
        properties[name] = schema
        if parameter.get("required", True):
            required.append(name)
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _free_name(wanted: str, names: WireNames) -> str:
    name, counter = wanted, 1
    while name in names.to_tool:
        name, counter = f"{wanted}_{counter}", counter + 1
    return name


def _entity_tool(name: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    properties = {str(entity["name"]): _entity_schema(entity) for entity in entities}
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": "Record details the user has given. Leave out anything they have not said.",
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": [],
                "additionalProperties": False,
            },
        },
    }


def _entity_schema(entity: dict[str, Any]) -> dict[str, Any]:
    kind = str(entity.get("type", ""))
    config = dict(entity.get("config") or {})
    schema: dict[str, Any]
    if kind in ("number", "numeric"):
        schema = {"type": "number" if config.get("hasDecimal") else "integer"}
        if config.get("min") is not None:
            schema["minimum"] = config["min"]
        if config.get("max") is not None:
            schema["maximum"] = config["max"]
    elif kind == "yes_no":
        schema = {"type": "string", "enum": ["yes", "no"]}
    elif kind == "enum" and config.get("options"):
        schema = {"type": "string", "enum": [str(option) for option in config["options"]]}
    else:
        schema = {"type": "string"}
    hints = [str(entity.get("description") or "").strip(), _ENTITY_FORMATS.get(kind, "")]
    if kind == "regex" and config.get("pattern"):
        # Not a JSON-schema "pattern": the builder's regex dialect is Python's, not ECMA's.
        hints.append(f"Must match the regular expression {config['pattern']}.")
    description = " ".join(hint for hint in hints if hint)
    if description:
        schema["description"] = description
    return schema


# --- response ------------------------------------------------------------------------------------


def parse_decision(body: Any, names: WireNames, entities: list[dict[str, Any]], today: str = "") -> Decision:
    message = _message(body)
    calls: list[ToolCall] = []
    extracted: dict[str, Any] = {}
    for name, arguments in _tool_calls(message):
        if name == names.entity_tool:
            extracted.update(normalise_entities(arguments, entities, today))
        else:
            calls.append(ToolCall(names.to_tool.get(name, name), arguments))
    if calls:
        return Decision(tool_calls=calls, entities=extracted)
    content = message.get("content")
    if content is None:
        content = message.get("refusal")
    if content is not None and not isinstance(content, str):
        raise MalformedResponse("message content is not a string")
    reply = content.strip() if content else None
    return Decision(reply=reply or None, entities=extracted)


def _message(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise MalformedResponse("the body is not a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise MalformedResponse("the body has no choices")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise MalformedResponse("the first choice has no message")
    return message


def _tool_calls(message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    raw = message.get("tool_calls")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise MalformedResponse("tool_calls is not a list")
    calls: list[tuple[str, dict[str, Any]]] = []
    for item in raw:
        function = item.get("function") if isinstance(item, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise MalformedResponse("a tool call has no function name")
        calls.append((function["name"], _arguments(function.get("arguments"))))
    return calls


def _arguments(raw: Any) -> dict[str, Any]:
    """The call's arguments; {} when they are not a JSON object.

    A call with broken arguments still reaches the engine, which runs it: a tool with required
    parameters then fails and the model is told so, and can try again with proper arguments.
    """
    if isinstance(raw, dict):  # some servers send the object itself rather than its JSON text
        return raw
    if not isinstance(raw, str):
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def normalise_entities(
    values: dict[str, Any], entities: list[dict[str, Any]], today: str = ""
) -> dict[str, Any]:
    """The model's values in the same normalised forms the rules provider extracts.

    Each value goes through the entity type's extractor, so dates are ISO, times HH:MM, phones
    E.164, enum values the option as configured, and anything out of range or unrecognisable is
    dropped rather than stored as if it had been collected.
    """
    try:
        day = date.fromisoformat(today)
    except ValueError:
        day = date.today()
    by_name = {str(entity["name"]): entity for entity in entities}
    normalised: dict[str, Any] = {}
    for name, value in values.items():
        entity = by_name.get(name)
        if entity is None or value is None or isinstance(value, dict | list):
            continue
        kind = str(entity.get("type", ""))
        if isinstance(value, bool):
            if kind != "yes_no":
                continue
            value = "yes" if value else "no"
        # Fixed-point, so 1e+20 does not read as the number 20 to the extractor.
        text = format(value, "f") if isinstance(value, float) else str(value).strip()
        if not text:
            continue
        if kind in _VERBATIM_ENTITY_TYPES or kind not in EXTRACTORS:
            normalised[name] = text
            continue
        found = extract(entity, text, day)
        if found is not None:
            normalised[name] = found
    return normalised

"""The one protocol every model provider implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: list[dict[str, Any]]  # [{name, type, required, default?}]
    scope: str  # "global" (a {{fn:}}) or "flow" (a {{ft:}})


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolResult:
    name: str
    arguments: dict[str, Any]
    content: str  # what the tool told the model (its string return value or an error note)


@dataclass
class DecisionRequest:
    system_prompt: str
    history: list[dict[str, str]]
    message: str
    topics: list[dict[str, Any]]  # retrieved topics, best first
    step: dict[str, Any] | None  # the current flow step, if any
    step_prompt: str | None  # its prompt with references substituted
    tools: list[Tool]
    entities: list[dict[str, Any]]  # entity definitions the current step extracts
    tool_results: list[ToolResult] = field(default_factory=list)
    today: str = ""


@dataclass(frozen=True)
class Decision:
    reply: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    entities: dict[str, Any] = field(default_factory=dict)


class ModelProvider(Protocol):
    name: str

    async def decide(self, request: DecisionRequest) -> Decision: ...

    async def aclose(self) -> None: ...

"""Keeps the per-conversation summary columns in step with the turn log, at write time.

Listing a million conversations cannot afford to read their turns, so what filters need (duration,
the topics, functions and flows seen) lives on the conversation row. The runtime calls these two
functions whenever it records a turn or ends a conversation (the data generator uses add_names).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from parley.conversations.records import LiveConversation, TurnRecord

SEPARATOR = "\n"


def add_names(current: str, names: Iterable[str]) -> str:
    """``current`` ("\\na\\nb\\n" or "") with ``names`` added, each once, in first-seen order."""
    seen = [n for n in current.split(SEPARATOR) if n]
    for raw in names:
        name = " ".join(str(raw).split())[:200]
        if name and name not in seen:
            seen.append(name)
    return SEPARATOR + SEPARATOR.join(seen) + SEPARATOR if seen else ""


def names_of(column: str) -> list[str]:
    return [n for n in column.split(SEPARATOR) if n]


def turn_names(data: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """Topics, function names and flows one turn's recorded data mentions."""
    topics = [str(t) for t in data.get("topics") or []]
    functions = [str(c.get("name")) for c in data.get("functionCalls") or [] if isinstance(c, dict)]
    flow = data.get("flow")
    return topics, functions, [str(flow)] if flow else []


def record_turn(conversation: LiveConversation, turn: TurnRecord) -> None:
    topics, functions, flows = turn_names(turn.data or {})
    conversation.topic_names = add_names(conversation.topic_names or "", topics)
    conversation.function_names = add_names(conversation.function_names or "", functions)
    conversation.flow_names = add_names(conversation.flow_names or "", flows)
    if turn.index == 0 and conversation.shared_id is None:
        shared = (conversation.integration_attributes or {}).get("shared_id")
        conversation.shared_id = str(shared)[:200] if shared not in (None, "") else None
    _update_duration(conversation)


def record_end(conversation: LiveConversation) -> None:
    _update_duration(conversation)


def _update_duration(conversation: LiveConversation) -> None:
    until = conversation.ended_at or conversation.last_activity_at
    conversation.duration_seconds = max(0, int((until - conversation.started_at).total_seconds()))

"""The conversation and turn as the runtime holds them: plain objects, one attribute per column.

A chat turn reads one conversation row, changes a dozen of its attributes and writes it back with
one UPDATE (chat/repository.py). An ORM instance would pay SQLAlchemy's instrumentation on each of
those (building it from the row, every attribute set) and nothing here needs what that buys: these
objects never join a session. The fields mirror the ``conversation`` and ``conversation_turn``
tables column for column, without defaults (a test holds them to it): the repository fills every field,
from the row or from the table's column defaults, and reads and writes them by column name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(slots=True, eq=False)
class LiveConversation:
    id: str
    account_id: str
    agent_id: str
    environment: str
    branch_id: str | None
    deployment_id: str | None
    version: str
    channel: str
    source: str
    connector_id: str | None
    variant_id: str | None
    variant_name: str | None
    language: str
    caller_number: str | None
    status: str
    started_at: datetime
    last_activity_at: datetime
    ended_at: datetime | None
    turn_count: int
    handoff_destination: str | None
    handoff_reason: str | None
    integration_attributes: dict[str, Any]
    runtime: dict[str, Any]
    duration_seconds: int
    topic_names: str
    function_names: str
    flow_names: str
    shared_id: str | None


@dataclass(slots=True, eq=False)
class TurnRecord:
    conversation_id: str
    index: int
    user_input: str
    agent_response: str
    user_input_at: datetime | None
    agent_response_at: datetime
    latency_ms: float
    data: dict[str, Any]

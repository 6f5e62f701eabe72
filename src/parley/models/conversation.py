from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, utcnow


class Conversation(Base):
    """One conversation with a deployed (or draft) agent: its identity, status and runtime state."""

    __tablename__ = "conversation"
    __table_args__ = (
        Index("ix_conversation_agent_id_started_at", "agent_id", "started_at"),
        Index("ix_conversation_agent_id_environment_started_at", "agent_id", "environment", "started_at"),
        # Keyset pages of the Conversations API: (agent, environment) equality, then the sort key
        # with the id as tie-breaker, so a page is one index range scan whatever the direction.
        Index("ix_conversation_listing_started", "agent_id", "environment", "started_at", "id"),
        Index("ix_conversation_listing_duration", "agent_id", "environment", "duration_seconds", "id"),
        Index("ix_conversation_listing_id", "agent_id", "environment", "id"),
        Index("ix_conversation_agent_id_shared_id", "agent_id", "shared_id"),
        # The sweeper's question: active conversations idle since before a cutoff, oldest first.
        Index("ix_conversation_status_last_activity_at", "status", "last_activity_at"),
    )

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    # sandbox | pre-release | live, or draft for a branch compiled on the fly (debug chat).
    environment: Mapped[str] = mapped_column(String(16))
    branch_id: Mapped[str | None] = mapped_column(String(32), default=None)
    deployment_id: Mapped[str | None] = mapped_column(String(36), default=None)
    version: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # webchat | api | sms | whatsapp | voice
    source: Mapped[str] = mapped_column(String(16))  # chat | debug_chat | webchat
    connector_id: Mapped[str | None] = mapped_column(String(40), default=None)
    variant_id: Mapped[str | None] = mapped_column(String(64), default=None)
    variant_name: Mapped[str | None] = mapped_column(String(200), default=None)
    language: Mapped[str] = mapped_column(String(35), default="en-GB")
    caller_number: Mapped[str | None] = mapped_column(String(32), default=None)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | ended | closed | timed_out
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    turn_count: Mapped[int] = mapped_column(default=0)
    handoff_destination: Mapped[str | None] = mapped_column(String(200), default=None)
    handoff_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    integration_attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The engine's Session (conv.state, flow, step, entities, variant, recent history).
    runtime: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Summaries of the turn log kept on the row so that listing and filtering never read turns
    # (parley.conversations.summary fills them as turns are recorded).
    duration_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    # Names seen in any turn, each wrapped in newlines ("\nPool hours\nParking\n"), so that
    # "some turn had topic X" is one LIKE on both SQLite and PostgreSQL.
    topic_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    function_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    flow_names: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The integrator's id for the conversation (integration attribute "shared_id"), for handoff_state.
    shared_id: Mapped[str | None] = mapped_column(String(200), default=None)


class ConversationTurn(Base):
    """An append-only log entry: one exchange (index 0 is the greeting)."""

    __tablename__ = "conversation_turn"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    index: Mapped[int] = mapped_column(primary_key=True)
    user_input: Mapped[str] = mapped_column(Text, default="")
    agent_response: Mapped[str] = mapped_column(Text, default="")
    user_input_at: Mapped[datetime | None] = mapped_column(default=None)
    agent_response_at: Mapped[datetime] = mapped_column(default=utcnow)
    latency_ms: Mapped[float] = mapped_column(default=0.0)
    # Topics, function calls with arguments and results, entities, flow/step, handoff, effects.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ConversationRecording(Base):
    """A WAV recording uploaded for a conversation by a telephony integration."""

    __tablename__ = "conversation_recording"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True
    )
    # combined | user | agent, and whether this is the PII-redacted rendition.
    direction: Mapped[str] = mapped_column(String(16), primary_key=True)
    redacted: Mapped[bool] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column()
    audio: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

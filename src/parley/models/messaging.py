from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, utcnow


class MessagingSession(Base):
    """A webchat session (docs/webchat.md): who it belongs to, its state, and its event counter.

    Kept in the database rather than in a worker's memory so that a client may reconnect to any
    worker and replay what it missed.
    """

    __tablename__ = "messaging_session"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID4
    account_id: Mapped[str] = mapped_column(String(40))
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), index=True)
    # No foreign key: the journal stays readable after its connector is deleted.
    connector_id: Mapped[str] = mapped_column(String(32))
    client_env: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(260))
    platform: Mapped[str] = mapped_column(String(16))
    streaming_enabled: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | ended
    # pending (no agent yet, or its start failed) | joined | handed_off (client-managed handoff)
    agent_state: Mapped[str] = mapped_column(String(16), default="pending")
    end_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    conversation_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # The sequence of the last journaled event; bumped atomically for each new one.
    last_sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class MessagingEvent(Base):
    """One journaled server event, stored as sent, so that replays are byte-for-byte the same."""

    __tablename__ = "messaging_event"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("messaging_session.id", ondelete="CASCADE"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(64))
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

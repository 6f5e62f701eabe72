from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, utcnow


class SmsMessage(Base):
    """One SMS of an agent, whatever happened to it: the outbox and the audit log in one table.

    Agent-scoped operational data (not branch-scoped). Rows are append-only: a message that could
    not be sent is recorded as such, never deleted or retried in place.
    """

    __tablename__ = "sms_message"
    __table_args__ = (
        Index("ix_sms_message_agent_id_created_at", "agent_id", "created_at"),
        Index("ix_sms_message_agent_id_to_number", "agent_id", "to_number"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(16))  # outbound | inbound
    # sent | failed | blocked_opt_out (outbound); received (inbound)
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    to_number: Mapped[str | None] = mapped_column(String(64), default=None)
    from_number: Mapped[str | None] = mapped_column(String(64), default=None)
    body: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str | None] = mapped_column(String(200), default=None)
    environment: Mapped[str | None] = mapped_column(String(16), default=None)
    # conversation | outbound_api | inbound_webhook
    source: Mapped[str] = mapped_column(String(24))
    conversation_id: Mapped[str | None] = mapped_column(String(100), default=None)
    connector_id: Mapped[str | None] = mapped_column(String(40), default=None)
    provider: Mapped[str | None] = mapped_column(String(16), default=None)
    provider_message_id: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsOptOut(Base):
    """A number that texted a STOP keyword to an agent; the row is removed by START."""

    __tablename__ = "sms_opt_out"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    keyword: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

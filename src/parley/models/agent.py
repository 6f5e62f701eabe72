from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, TimestampMixin, utcnow


class Agent(TimestampMixin, Base):
    """An agent (PolyAI's "project"). Its id is unique in the whole server (region)."""

    __tablename__ = "agent"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    response_settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    voice_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    llm_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    experimental_config: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Bumped by every branch create, delete and merge; reported as PolyAI's sequence ids.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")


class Branch(Base):
    __tablename__ = "branch"
    __table_args__ = (UniqueConstraint("agent_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The agent's change counter when the branch was made (PolyAI's sequenceId).
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, utcnow


class Artifact(Base):
    """An immutable compiled snapshot of an agent's main branch, named by its content hash."""

    __tablename__ = "artifact"
    __table_args__ = (UniqueConstraint("agent_id", "number"),)

    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    # 1, 2, 3 ... per agent, in order of first compilation: PolyAI's `artifactVersion`.
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Deployment(Base):
    """One deployment event; history is append-only (rollback appends, never rewrites)."""

    __tablename__ = "deployment"
    __table_args__ = (
        ForeignKeyConstraint(
            ["agent_id", "version"], ["artifact.agent_id", "artifact.version"], ondelete="CASCADE"
        ),
        Index("ix_deployment_agent_id_environment_created_at", "agent_id", "environment", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(String(40))
    environment: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(64))
    artifact_number: Mapped[int]
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)


class ActiveDeployment(Base):
    """The one active deployment per (agent, environment): the primary key makes "one" a fact."""

    __tablename__ = "active_deployment"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)
    environment: Mapped[str] = mapped_column(String(16), primary_key=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

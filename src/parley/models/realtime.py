from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, utcnow


class RealTimeConfig(Base):
    """One environment's real-time config page: a JSON Schema and the values it governs.

    Agent-scoped and outside branching and deployments: a write takes effect at once. A page that
    was never written has no row; it reads as an empty schema and no variables.
    """

    __tablename__ = "real_time_config"

    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), primary_key=True)
    client_env: Mapped[str] = mapped_column(String(16), primary_key=True)
    json_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    variables: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

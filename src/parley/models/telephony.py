from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, TimestampMixin, utcnow


class Connector(TimestampMixin, Base):
    """The voice/language/variant/environment bundle that serves calls and chats of an agent.

    Agent-scoped operational data, not branch-scoped. Only a SHA-256 digest of the token is stored.
    """

    __tablename__ = "telephony_connector"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    client_env: Mapped[str] = mapped_column(String(16))
    # "" when unset, as PolyAI reports unassigned values.
    variant_id: Mapped[str] = mapped_column(String(64), default="")
    asr_lang_code: Mapped[str] = mapped_column(String(35), default="")
    voice_name: Mapped[str] = mapped_column(String(100), default="")
    tts_lang_code: Mapped[str] = mapped_column(String(35), default="")
    disable_handoff: Mapped[bool] = mapped_column(default=False)
    allowed_hosts: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The first 16 hex digits of the token's digest: finds the row, never the secret itself.
    token_lookup: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    token_hint: Mapped[str] = mapped_column(String(16))


class PhoneNumber(Base):
    """An E.164 number routed to an agent. A number exists once in the whole server."""

    __tablename__ = "telephony_phone_number"

    number: Mapped[str] = mapped_column(String(16), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"), index=True)
    # NULL: imported but not routed yet. Deleting the connector releases its numbers.
    connector_id: Mapped[str | None] = mapped_column(
        ForeignKey("telephony_connector.id", ondelete="CASCADE"), index=True, default=None
    )
    client_env: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.kit.db import Base, TimestampMixin, utcnow


class Account(TimestampMixin, Base):
    __tablename__ = "account"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiKey(Base):
    """An API key. Only a SHA-256 digest of the secret is stored."""

    __tablename__ = "api_key"
    __table_args__ = (Index("ix_api_key_account_id_created_at", "account_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # NULL for the platform-operator key, which belongs to no account.
    account_id: Mapped[str | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    agent_ids: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    # The first 16 hex digits of the digest: an index to find the row, never the secret itself.
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A revocation may lie in the future: a rotation's grace period.
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    replaced_by_id: Mapped[str | None] = mapped_column(String(32), default=None)

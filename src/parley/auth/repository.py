"""Every SQL statement about users and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.kit.prepared import Prepared
from parley.models import ApiKey, User

_KEYS: Table = ApiKey.__table__  # type: ignore[assignment]
_USERS: Table = User.__table__  # type: ignore[assignment]

# Runs on every request: prepared once (kit/prepared.py), and Core rather than ORM entities, which
# cost several times as much to load (authentication only reads these columns and never changes them).
_KEY_BY_LOOKUP = Prepared(
    select(
        _KEYS.c.id,
        _KEYS.c.account_id,
        _KEYS.c.user_id,
        _KEYS.c.role,
        _KEYS.c.agent_ids,
        _KEYS.c.key_hash,
        _KEYS.c.revoked_at,
        _KEYS.c.revoked_reason,
        _KEYS.c.expires_at,
        _USERS.c.id.label("user_exists"),
        _USERS.c.disabled_at.label("user_disabled_at"),
    )
    .select_from(_KEYS.outerjoin(_USERS, _USERS.c.id == _KEYS.c.user_id))
    .where(_KEYS.c.lookup == bindparam("lookup"))
)


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What authentication needs to know about a presented key and the user who owns it."""

    id: str
    account_id: str
    user_id: str | None
    role: str
    agent_ids: list[str] | None
    key_hash: str
    revoked_at: datetime | None
    revoked_reason: str | None
    expires_at: datetime | None
    user_exists: bool
    user_disabled_at: datetime | None


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def key_by_lookup(self, lookup: str) -> KeyRecord | None:
        values = await _KEY_BY_LOOKUP.first(self.session, {"lookup": lookup})
        if values is None:
            return None
        values["user_exists"] = values["user_exists"] is not None
        return KeyRecord(**values)

    async def any_key_exists(self) -> bool:
        return (await self.session.scalar(select(ApiKey.id).limit(1))) is not None

    async def add(self, obj: User | ApiKey) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def active_users(self, account_id: str) -> Sequence[User]:
        stmt = (
            select(User)
            .where(User.account_id == account_id, User.disabled_at.is_(None))
            .order_by(User.created_at, User.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def active_user(self, account_id: str, user_id: str) -> User | None:
        stmt = select(User).where(
            User.account_id == account_id, User.id == user_id, User.disabled_at.is_(None)
        )
        return await self.session.scalar(stmt)

    async def user_by_email(self, account_id: str, email: str) -> User | None:
        stmt = select(User).where(User.account_id == account_id, User.email == email)
        return await self.session.scalar(stmt)

    async def first_admin(self, account_id: str) -> User | None:
        stmt = (
            select(User)
            .where(User.account_id == account_id, User.role == "admin", User.disabled_at.is_(None))
            .order_by(User.created_at, User.id)
            .limit(1)
        )
        return await self.session.scalar(stmt)

    async def live_keys(self, account_id: str, now: datetime) -> Sequence[ApiKey]:
        stmt = (
            select(ApiKey)
            .where(ApiKey.account_id == account_id, or_(ApiKey.revoked_at.is_(None), ApiKey.revoked_at > now))
            .order_by(ApiKey.created_at, ApiKey.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def live_key(self, account_id: str, key_id: str, now: datetime) -> ApiKey | None:
        stmt = select(ApiKey).where(
            ApiKey.account_id == account_id,
            ApiKey.id == key_id,
            or_(ApiKey.revoked_at.is_(None), ApiKey.revoked_at > now),
        )
        return await self.session.scalar(stmt)

    async def revoke_keys_of_user(self, account_id: str, user_id: str, now: datetime) -> None:
        await self.session.execute(
            update(ApiKey)
            .where(
                ApiKey.account_id == account_id,
                ApiKey.user_id == user_id,
                or_(ApiKey.revoked_at.is_(None), ApiKey.revoked_at > now),
            )
            .values(revoked_at=now, revoked_reason="user_deleted")
        )

"""Every SQL statement about users and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import ApiKey, User

# Built once: it runs on every request, and building the statement costs about as much as running it.
_KEY_BY_LOOKUP = (
    select(ApiKey, User)
    .outerjoin(User, User.id == ApiKey.user_id)
    .where(ApiKey.lookup == bindparam("lookup"))
)


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def key_by_lookup(self, lookup: str) -> tuple[ApiKey, User | None] | None:
        row = (await self.session.execute(_KEY_BY_LOOKUP, {"lookup": lookup})).first()
        return None if row is None else (row[0], row[1])

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

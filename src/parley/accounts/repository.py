"""Every SQL statement about accounts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import false, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Account

# Any fixed number: PostgreSQL advisory locks are keyed by integers.
_CREATE_LOCK_KEY = 7_263_540_119


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, account_id: str) -> Account | None:
        return await self.session.get(Account, account_id)

    async def all(self) -> Sequence[Account]:
        return (await self.session.scalars(select(Account).order_by(Account.created_at, Account.id))).all()

    async def lock_for_create(self) -> None:
        """Serialises account creation until this transaction ends.

        "Too similar to an existing id" is a rule no unique index can hold: two creates of
        similar ids that both read before either inserts would both pass. Taken before the reads,
        this lock makes the second read what the first wrote.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_LOCK_KEY})
        else:
            # SQLite has one writer at a time: a write that changes nothing takes its lock now.
            await self.session.execute(update(Account).where(false()).values(id=Account.id))

    async def ids_near_length(self, length: int) -> Sequence[str]:
        """Ids that could be within one edit of an id of this length."""
        stmt = select(Account.id).where(func.length(Account.id).between(length - 1, length + 1))
        return (await self.session.scalars(stmt)).all()

    async def add(self, account: Account) -> None:
        self.session.add(account)
        await self.session.flush()

    async def any_exists(self) -> bool:
        return (await self.session.scalar(select(Account.id).limit(1))) is not None

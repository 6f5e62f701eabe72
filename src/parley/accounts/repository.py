"""Every SQL statement about accounts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Account


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, account_id: str) -> Account | None:
        return await self.session.get(Account, account_id)

    async def all(self) -> Sequence[Account]:
        return (await self.session.scalars(select(Account).order_by(Account.created_at, Account.id))).all()

    async def ids_near_length(self, length: int) -> Sequence[str]:
        """Ids that could be within one edit of an id of this length."""
        stmt = select(Account.id).where(func.length(Account.id).between(length - 1, length + 1))
        return (await self.session.scalars(stmt)).all()

    async def add(self, account: Account) -> None:
        self.session.add(account)
        await self.session.flush()

    async def any_exists(self) -> bool:
        return (await self.session.scalar(select(Account.id).limit(1))) is not None

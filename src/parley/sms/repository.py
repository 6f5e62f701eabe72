"""Every SQL statement about SMS messages and opt-outs. Every query names its agent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Connector, PhoneNumber, SmsMessage, SmsOptOut


class SmsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- messages

    async def add(self, message: SmsMessage) -> None:
        self.session.add(message)
        await self.session.flush()

    async def messages(
        self,
        agent_id: str,
        *,
        status: str | None,
        to_number: str | None,
        direction: str | None,
        limit: int,
    ) -> Sequence[SmsMessage]:
        stmt = select(SmsMessage).where(SmsMessage.agent_id == agent_id)
        if status is not None:
            stmt = stmt.where(SmsMessage.status == status)
        if to_number is not None:
            stmt = stmt.where(SmsMessage.to_number == to_number)
        if direction is not None:
            stmt = stmt.where(SmsMessage.direction == direction)
        # Ids break ties between messages recorded in the same instant (one turn can send several).
        stmt = stmt.order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc()).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def message(self, agent_id: str, message_id: str) -> SmsMessage | None:
        stmt = select(SmsMessage).where(SmsMessage.agent_id == agent_id, SmsMessage.id == message_id)
        return (await self.session.scalars(stmt)).one_or_none()

    # --- opt-outs

    async def opt_out(self, agent_id: str, number: str) -> SmsOptOut | None:
        return await self.session.get(SmsOptOut, (agent_id, number))

    async def add_opt_out(self, agent_id: str, number: str, keyword: str) -> None:
        if await self.opt_out(agent_id, number) is not None:
            return
        try:
            # A savepoint: a concurrent STOP from the same number must not fail this transaction.
            async with self.session.begin_nested():
                self.session.add(SmsOptOut(agent_id=agent_id, number=number, keyword=keyword))
        except IntegrityError:
            pass

    async def remove_opt_out(self, agent_id: str, number: str) -> bool:
        result = await self.session.execute(
            delete(SmsOptOut).where(SmsOptOut.agent_id == agent_id, SmsOptOut.number == number)
        )
        return bool(getattr(result, "rowcount", 0))

    # --- telephony, as the SMS endpoints need it

    async def connector(self, connector_id: str) -> Connector | None:
        """A connector by id alone: the outbound endpoint names no agent, only the connector."""
        return await self.session.get(Connector, connector_id)

    async def connector_numbers(self, connector_id: str) -> list[str]:
        stmt = (
            select(PhoneNumber.number)
            .where(PhoneNumber.connector_id == connector_id)
            .order_by(PhoneNumber.number)
        )
        return list((await self.session.scalars(stmt)).all())

    async def agent_number(self, agent_id: str, number: str) -> PhoneNumber | None:
        stmt = select(PhoneNumber).where(PhoneNumber.agent_id == agent_id, PhoneNumber.number == number)
        return (await self.session.scalars(stmt)).one_or_none()

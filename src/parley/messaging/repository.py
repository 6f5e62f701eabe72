"""Every SQL statement about messaging sessions and their event journal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import MessagingEvent, MessagingSession


class MessagingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_session(self, messaging_session: MessagingSession) -> None:
        self.session.add(messaging_session)
        await self.session.flush()

    async def get_session(self, session_id: str) -> MessagingSession | None:
        # populate_existing: another worker may have changed the row since this session last read it.
        return await self.session.get(MessagingSession, session_id, populate_existing=True)

    async def next_sequence(self, session_id: str) -> int:
        """Atomically the next sequence number of the session's journal.

        An UPDATE ... RETURNING: on PostgreSQL the row stays locked until commit, so concurrent
        writers of one session (any worker) get consecutive numbers in commit order.
        """
        stmt = (
            update(MessagingSession)
            .where(MessagingSession.id == session_id)
            .values(last_sequence=MessagingSession.last_sequence + 1)
            .returning(MessagingSession.last_sequence)
            .execution_options(synchronize_session=False)
        )
        sequence = (await self.session.execute(stmt)).scalar_one()
        return int(sequence)

    async def add_event(self, session_id: str, event: dict[str, Any]) -> None:
        self.session.add(
            MessagingEvent(
                session_id=session_id,
                sequence=event["sequence"],
                event_id=event["id"],
                type=event["type"],
                event=event,
            )
        )
        await self.session.flush()

    async def events_after(
        self, session_id: str, after: int, limit: int, before: int | None = None
    ) -> list[dict[str, Any]]:
        stmt = select(MessagingEvent.event).where(
            MessagingEvent.session_id == session_id, MessagingEvent.sequence > after
        )
        if before is not None:
            stmt = stmt.where(MessagingEvent.sequence < before)
        stmt = stmt.order_by(MessagingEvent.sequence).limit(limit)
        return [dict(event) for event in (await self.session.scalars(stmt)).all()]

    async def last_sequence(self, session_id: str) -> int:
        value = await self.session.scalar(
            select(MessagingSession.last_sequence).where(MessagingSession.id == session_id)
        )
        return int(value or 0)

    async def touch(self, session_id: str, now: datetime) -> None:
        await self.session.execute(
            update(MessagingSession)
            .where(MessagingSession.id == session_id, MessagingSession.status == "active")
            .values(last_activity_at=now)
            .execution_options(synchronize_session=False)
        )

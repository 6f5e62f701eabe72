"""The session's event journal: every event a client must be able to replay, in sequence order."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.messaging.events import server_event
from parley.messaging.repository import MessagingRepository
from parley.models import MessagingSession


class Journal:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = MessagingRepository(session)

    async def record(
        self,
        messaging_session: MessagingSession,
        event_type: str,
        payload: dict[str, Any],
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append an event (flushed, not committed) and return it as it will be sent."""
        sequence = await self.repo.next_sequence(messaging_session.id)
        event = server_event(event_type, payload, sequence=sequence, metadata=metadata)
        await self.repo.add_event(messaging_session.id, event)
        return event

    async def after(
        self, session_id: str, after: int, limit: int, before: int | None = None
    ) -> list[dict[str, Any]]:
        return await self.repo.events_after(session_id, after, limit, before)

    async def last_sequence(self, session_id: str) -> int:
        return await self.repo.last_sequence(session_id)

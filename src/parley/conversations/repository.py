"""Every SQL statement of the Conversations API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.kit.db import off_loop
from parley.models.conversation import Conversation, ConversationRecording, ConversationTurn


class ConversationQueryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        conditions: Sequence[ColumnElement[bool]],
        order_by: Sequence[Any],
        limit: int,
        offset: int = 0,
    ) -> Sequence[Conversation]:
        # Listings filter and sort over up to millions of rows: off the event loop on SQLite.
        stmt = off_loop(
            select(Conversation).where(*conditions).order_by(*order_by).limit(limit).offset(offset)
        )
        return (await self.session.scalars(stmt)).all()

    async def sample(self, conditions: Sequence[ColumnElement[bool]], limit: int) -> Sequence[Conversation]:
        stmt = off_loop(select(Conversation).where(*conditions).order_by(func.random()).limit(limit))
        return (await self.session.scalars(stmt)).all()

    async def turns_of(self, conversation_ids: Sequence[str]) -> dict[str, list[ConversationTurn]]:
        found: dict[str, list[ConversationTurn]] = {cid: [] for cid in conversation_ids}
        if not conversation_ids:
            return found
        stmt = off_loop(
            select(ConversationTurn)
            .where(ConversationTurn.conversation_id.in_(conversation_ids))
            .order_by(ConversationTurn.conversation_id, ConversationTurn.index)
        )
        for turn in (await self.session.scalars(stmt)).all():
            found[turn.conversation_id].append(turn)
        return found

    async def get(self, agent_id: str, conversation_id: str) -> Conversation | None:
        stmt = select(Conversation).where(
            Conversation.agent_id == agent_id, Conversation.id == conversation_id
        )
        return await self.session.scalar(stmt)

    async def by_shared_id(self, agent_id: str, shared_id: str) -> Conversation | None:
        stmt = (
            select(Conversation)
            .where(Conversation.agent_id == agent_id, Conversation.shared_id == shared_id)
            .order_by(Conversation.started_at.desc())
            .limit(1)
        )
        return await self.session.scalar(stmt)

    async def overlapping(
        self, conditions: Sequence[ColumnElement[bool]], start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime | None, datetime, str, str | None, str | None]]:
        """Conversations that may have been live in [start, end): a superset the caller refines."""
        stmt = off_loop(
            select(
                Conversation.started_at,
                Conversation.ended_at,
                Conversation.last_activity_at,
                Conversation.status,
                Conversation.variant_id,
                Conversation.variant_name,
            ).where(
                *conditions,
                Conversation.started_at < end,
                or_(Conversation.ended_at.is_(None), Conversation.ended_at >= start),
            )
        )
        rows = (await self.session.execute(stmt)).all()
        return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]

    # --- recordings ---------------------------------------------------------------------------

    async def recording(
        self, conversation_id: str, direction: str, redacted: bool
    ) -> ConversationRecording | None:
        return await self.session.get(ConversationRecording, (conversation_id, direction, redacted))

    async def save_recording(self, recording: ConversationRecording) -> None:
        await self.session.merge(recording)
        await self.session.flush()


def transcript_match(text: str, turn_type: str | None) -> ColumnElement[bool]:
    """Some turn of the conversation says ``text`` (case-insensitive substring, bound parameter)."""
    needle = text.lower()
    user = func.lower(ConversationTurn.user_input).contains(needle, autoescape=True)
    agent = func.lower(ConversationTurn.agent_response).contains(needle, autoescape=True)
    said = user if turn_type == "user" else agent if turn_type == "agent" else or_(user, agent)
    return exists().where(ConversationTurn.conversation_id == Conversation.id, said)

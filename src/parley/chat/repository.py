"""Every SQL statement about conversations and their turns."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models.conversation import Conversation, ConversationTurn

# Built once: it runs on every chat turn, and building it costs about as much as running it.
_CONVERSATION = select(Conversation).where(
    Conversation.agent_id == bindparam("agent_id"), Conversation.id == bindparam("conversation_id")
)


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, agent_id: str, conversation_id: str) -> Conversation | None:
        return await self.session.scalar(
            _CONVERSATION, {"agent_id": agent_id, "conversation_id": conversation_id}
        )

    async def exists(self, conversation_id: str) -> bool:
        stmt = select(Conversation.id).where(Conversation.id == conversation_id)
        return (await self.session.scalar(stmt)) is not None

    async def add(self, *objs: Conversation | ConversationTurn) -> None:
        self.session.add_all(objs)
        await self.session.flush()

    async def turns(self, conversation_id: str) -> Sequence[ConversationTurn]:
        stmt = (
            select(ConversationTurn)
            .where(ConversationTurn.conversation_id == conversation_id)
            .order_by(ConversationTurn.index)
        )
        return (await self.session.scalars(stmt)).all()

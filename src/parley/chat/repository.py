"""Every SQL statement the runtime makes about conversations and their turns.

A conversation turn is the hottest write path of the platform, so the runtime does not hand its
conversation to the ORM's unit of work: it reads the row with one Core statement into a plain
``LiveConversation`` (conversations/records.py), changes it in memory, and writes it back with
one UPDATE and the turn with one INSERT. That is a fraction of the ORM's cost per turn and
says exactly which statements a turn makes. Nothing else writes a conversation while the runtime
holds it: the per-conversation lock is held from the read to the commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnDefault, Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.conversations.records import LiveConversation, TurnRecord
from parley.kit.prepared import Prepared
from parley.models.conversation import Conversation, ConversationTurn

_CONVERSATIONS: Table = Conversation.__table__  # type: ignore[assignment]
_TURNS: Table = ConversationTurn.__table__  # type: ignore[assignment]
_COLUMNS = tuple(column.key for column in _CONVERSATIONS.columns)
_TURN_COLUMNS = tuple(column.key for column in _TURNS.columns)
# What a turn, an ending or a draft recompile may change; identity and origin never change.
_MUTABLE = (
    "version",
    "variant_id",
    "variant_name",
    "status",
    "last_activity_at",
    "ended_at",
    "turn_count",
    "handoff_destination",
    "handoff_reason",
    "runtime",
    "duration_seconds",
    "topic_names",
    "function_names",
    "flow_names",
    "shared_id",
)

# Built and compiled once (kit/prepared.py): they run on every chat turn, and building or
# executing one through SQLAlchemy costs several times as much as running it.
_SELECT = Prepared(
    select(_CONVERSATIONS).where(
        _CONVERSATIONS.c.agent_id == bindparam("match_agent_id"),
        _CONVERSATIONS.c.id == bindparam("match_id"),
    )
)
_EXISTS = Prepared(select(_CONVERSATIONS.c.id).where(_CONVERSATIONS.c.id == bindparam("match_id")))
_UPDATE = Prepared(
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("match_id"))
    .values({name: bindparam(name) for name in _MUTABLE})
)
_CLAIM_IDLE = Prepared(
    update(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.id == bindparam("match_id"),
        _CONVERSATIONS.c.status == "active",
        _CONVERSATIONS.c.last_activity_at == bindparam("seen_activity"),
    )
    .values(status="timed_out")
)
_IDLE = Prepared(
    select(_CONVERSATIONS.c.id, _CONVERSATIONS.c.agent_id, _CONVERSATIONS.c.account_id)
    .where(_CONVERSATIONS.c.status == "active", _CONVERSATIONS.c.last_activity_at < bindparam("cutoff"))
    .order_by(_CONVERSATIONS.c.last_activity_at)
    .limit(bindparam("batch"))
)
_INSERT = Prepared(insert(_CONVERSATIONS))
_INSERT_TURN = Prepared(insert(_TURNS))


def _column_default(column: Column[Any]) -> Any:
    default = column.default
    if isinstance(default, ColumnDefault):
        # Callable defaults (utcnow, dict) are wrapped by SQLAlchemy to take an execution context.
        return default.arg(None) if default.is_callable else default.arg
    return None  # no default: nullable, or given by the caller


def new_conversation(now: datetime, **identity: Any) -> LiveConversation:
    """A conversation about to start, every column set: the model's defaults, then ``identity``.

    No ORM flush fills defaults in on this path, so they are taken from the table here; started
    and last active share one moment.
    """
    values = {column.key: _column_default(column) for column in _CONVERSATIONS.columns}
    values.update(started_at=now, last_activity_at=now, **identity)
    return LiveConversation(**values)


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, agent_id: str, conversation_id: str) -> LiveConversation | None:
        row = await _SELECT.first(self.session, {"match_agent_id": agent_id, "match_id": conversation_id})
        return None if row is None else LiveConversation(**row)

    async def exists(self, conversation_id: str) -> bool:
        return await _EXISTS.first(self.session, {"match_id": conversation_id}) is not None

    async def claim_idle(self, conversation_id: str, seen_activity: datetime) -> bool:
        """Marks the conversation timed out if it is still active and untouched since it was read.

        The one conversation write that is conditional: a sweeper and a late message (in this or
        another process) may both find it idle, and exactly one of them must end it.
        """
        claimed = await _CLAIM_IDLE.write(
            self.session, {"match_id": conversation_id, "seen_activity": seen_activity}
        )
        return claimed == 1

    async def idle(self, cutoff: datetime, batch: int) -> list[tuple[str, str, str]]:
        """(conversation, agent, account) of active conversations untouched since ``cutoff``."""
        rows = await _IDLE.rows(self.session, {"cutoff": cutoff, "batch": batch})
        return [(row["id"], row["agent_id"], row["account_id"]) for row in rows]

    async def insert(self, conversation: LiveConversation, turn: TurnRecord) -> None:
        await _INSERT.write(self.session, {name: getattr(conversation, name) for name in _COLUMNS})
        await self.add_turn(turn)

    async def save(self, conversation: LiveConversation, turn: TurnRecord | None = None) -> None:
        """Writes what the runtime changed on the conversation, and the turn it recorded."""
        values = {name: getattr(conversation, name) for name in _MUTABLE}
        await _UPDATE.write(self.session, {**values, "match_id": conversation.id})
        if turn is not None:
            await self.add_turn(turn)

    async def add_turn(self, turn: TurnRecord) -> None:
        await _INSERT_TURN.write(self.session, {name: getattr(turn, name) for name in _TURN_COLUMNS})

"""Every SQL statement about agents and their branch records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.kit.prepared import Prepared
from parley.models import Agent, Branch

_AGENTS: Table = Agent.__table__  # type: ignore[assignment]
# The runtime asks this on every conversation turn: prepared once (kit/prepared.py), two columns.
_REFERENCE = Prepared(select(_AGENTS.c.id, _AGENTS.c.account_id).where(_AGENTS.c.id == bindparam("agent_id")))


@dataclass(frozen=True, slots=True)
class AgentRef:
    """Which agent, in which account: all a conversation turn needs to know of it."""

    id: str
    account_id: str


class AgentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, agent_id: str) -> Agent | None:
        return await self.session.get(Agent, agent_id)

    async def reference(self, agent_id: str) -> AgentRef | None:
        row = await _REFERENCE.first(self.session, {"agent_id": agent_id})
        return None if row is None else AgentRef(row["id"], row["account_id"])

    async def exists(self, agent_id: str) -> bool:
        return (await self.session.scalar(select(Agent.id).where(Agent.id == agent_id))) is not None

    async def in_account(self, account_id: str) -> Sequence[Agent]:
        stmt = select(Agent).where(Agent.account_id == account_id).order_by(Agent.created_at, Agent.id)
        return (await self.session.scalars(stmt)).all()

    async def missing_ids(self, account_id: str, agent_ids: Sequence[str]) -> list[str]:
        if not agent_ids:
            return []
        stmt = select(Agent.id).where(Agent.account_id == account_id, Agent.id.in_(agent_ids))
        found = set((await self.session.scalars(stmt)).all())
        return [agent_id for agent_id in agent_ids if agent_id not in found]

    async def branch_counts(self, agent_ids: Sequence[str]) -> dict[str, int]:
        if not agent_ids:
            return {}
        stmt = (
            select(Branch.agent_id, func.count(Branch.id))
            .where(Branch.agent_id.in_(agent_ids))
            .group_by(Branch.agent_id)
        )
        return {agent_id: count for agent_id, count in (await self.session.execute(stmt)).all()}

    async def add(self, *objs: Agent | Branch) -> None:
        self.session.add_all(objs)
        await self.session.flush()

    async def delete(self, agent_id: str) -> None:
        await self.session.execute(delete(Agent).where(Agent.id == agent_id))

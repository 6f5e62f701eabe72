"""Every SQL statement about branches and branch-scoped resources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Agent, Branch, BranchBaseResource, BranchResource

_COPY_COLUMNS = ("kind", "resource_id", "parent_id", "name_key", "data", "created_at", "updated_at")


class BranchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def branches(self, agent_id: str) -> Sequence[Branch]:
        stmt = select(Branch).where(Branch.agent_id == agent_id).order_by(Branch.created_at, Branch.id)
        return (await self.session.scalars(stmt)).all()

    async def by_ref(self, agent_id: str, branch_ref: str) -> Branch | None:
        """``main`` names the main branch; any other ref is a branch id of this agent."""
        condition = Branch.name == "main" if branch_ref == "main" else Branch.id == branch_ref
        return await self.session.scalar(select(Branch).where(Branch.agent_id == agent_id, condition))

    async def by_name(self, agent_id: str, name: str) -> Branch | None:
        return await self.session.scalar(
            select(Branch).where(Branch.agent_id == agent_id, Branch.name == name)
        )

    async def add(self, branch: Branch) -> None:
        self.session.add(branch)
        await self.session.flush()

    async def delete(self, branch_id: str) -> None:
        await self.session.execute(delete(Branch).where(Branch.id == branch_id))

    async def bump_sequence(self, agent_id: str) -> int:
        await self.session.execute(
            update(Agent).where(Agent.id == agent_id).values(sequence=Agent.sequence + 1)
        )
        sequence = await self.session.scalar(select(Agent.sequence).where(Agent.id == agent_id))
        return int(sequence or 0)

    async def copy_resources(self, source_branch_id: str, target_branch_id: str, *, also_base: bool) -> None:
        """Copy every resource of one branch into another (and into its merge base) in SQL."""
        for table in (BranchResource, BranchBaseResource) if also_base else (BranchResource,):
            columns = [getattr(BranchResource, name) for name in _COPY_COLUMNS]
            source = select(literal(target_branch_id), *columns).where(
                BranchResource.branch_id == source_branch_id
            )
            await self.session.execute(insert(table).from_select(["branch_id", *_COPY_COLUMNS], source))

    async def all_resources(self, branch_id: str) -> Sequence[BranchResource]:
        stmt = select(BranchResource).where(BranchResource.branch_id == branch_id)
        return (await self.session.scalars(stmt)).all()

    async def base_resources(self, branch_id: str) -> Sequence[BranchBaseResource]:
        stmt = select(BranchBaseResource).where(BranchBaseResource.branch_id == branch_id)
        return (await self.session.scalars(stmt)).all()

    async def replace_base(self, branch_id: str, source_branch_id: str) -> None:
        await self.session.execute(
            delete(BranchBaseResource).where(BranchBaseResource.branch_id == branch_id)
        )
        columns = [getattr(BranchResource, name) for name in _COPY_COLUMNS]
        source = select(literal(branch_id), *columns).where(BranchResource.branch_id == source_branch_id)
        await self.session.execute(
            insert(BranchBaseResource).from_select(["branch_id", *_COPY_COLUMNS], source)
        )


class ResourceRepository:
    """Rows of one branch's resources; every statement is scoped by branch."""

    def __init__(self, session: AsyncSession, branch_id: str) -> None:
        self.session = session
        self.branch_id = branch_id

    def _where(self, kind: str) -> list[Any]:
        return [BranchResource.branch_id == self.branch_id, BranchResource.kind == kind]

    async def list(self, kind: str, parent_id: str | None = None) -> Sequence[BranchResource]:
        conditions = self._where(kind)
        if parent_id is not None:
            conditions.append(BranchResource.parent_id == parent_id)
        stmt = (
            select(BranchResource)
            .where(*conditions)
            .order_by(BranchResource.created_at, BranchResource.resource_id)
        )
        return (await self.session.scalars(stmt)).all()

    async def get(self, kind: str, resource_id: str, parent_id: str | None = None) -> BranchResource | None:
        conditions = [*self._where(kind), BranchResource.resource_id == resource_id]
        if parent_id is not None:
            conditions.append(BranchResource.parent_id == parent_id)
        return await self.session.scalar(select(BranchResource).where(*conditions))

    async def by_name_key(self, kind: str, name_key: str, parent_id: str = "") -> BranchResource | None:
        stmt = select(BranchResource).where(
            *self._where(kind), BranchResource.parent_id == parent_id, BranchResource.name_key == name_key
        )
        return await self.session.scalar(stmt)

    async def add(self, row: BranchResource) -> None:
        self.session.add(row)
        await self.session.flush()

    async def flush(self) -> None:
        await self.session.flush()

    async def delete(self, kind: str, resource_id: str) -> None:
        await self.session.execute(
            delete(BranchResource).where(*self._where(kind), BranchResource.resource_id == resource_id)
        )

    async def delete_children(self, parent_id: str) -> None:
        await self.session.execute(
            delete(BranchResource).where(
                BranchResource.branch_id == self.branch_id, BranchResource.parent_id == parent_id
            )
        )

    async def delete_all(self) -> None:
        await self.session.execute(delete(BranchResource).where(BranchResource.branch_id == self.branch_id))


async def lock_agent(session: AsyncSession, agent_id: str) -> None:
    """Serialise writers of one agent (merges, imports, deployments) before they read anything.

    A no-op UPDATE is the portable lock: on PostgreSQL it holds the agent's row lock until
    commit; on SQLite the first write of a transaction takes the database's writer lock, so every
    read that follows in the transaction sees a state no concurrent writer can change.
    """
    await session.execute(update(Agent).where(Agent.id == agent_id).values(sequence=Agent.sequence))

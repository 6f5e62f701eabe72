"""Every SQL statement about real-time config pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from parley.kit.db import utcnow
from parley.models import RealTimeConfig


class RealTimeConfigRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pages(self, agent_id: str) -> dict[str, RealTimeConfig]:
        stmt = select(RealTimeConfig).where(RealTimeConfig.agent_id == agent_id)
        return {row.client_env: row for row in (await self.session.scalars(stmt)).all()}

    async def page(self, agent_id: str, client_env: str) -> RealTimeConfig | None:
        return await self.session.get(RealTimeConfig, (agent_id, client_env))

    async def locked_page(self, agent_id: str, client_env: str) -> RealTimeConfig:
        """The page's row, created empty if needed and locked until commit.

        Insert-if-absent then SELECT ... FOR UPDATE: two concurrent writers of the same page
        serialise instead of both reading the old values and one merge silently losing.
        """
        values = {
            "agent_id": agent_id,
            "client_env": client_env,
            "json_schema": {},
            "variables": {},
            "updated_at": utcnow(),
        }
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        await self.session.execute(
            insert(RealTimeConfig)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["agent_id", "client_env"])
        )
        stmt = (
            select(RealTimeConfig)
            .where(RealTimeConfig.agent_id == agent_id, RealTimeConfig.client_env == client_env)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self.session.scalars(stmt)).one()
        return row

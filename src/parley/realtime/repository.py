"""Every SQL statement about real-time config pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from parley.kit.db import utcnow
from parley.kit.prepared import Prepared
from parley.models import RealTimeConfig

_PAGES: Table = RealTimeConfig.__table__  # type: ignore[assignment]
# Read at the start of every conversation turn: prepared once (kit/prepared.py), one column.
_VARIABLES = Prepared(
    select(_PAGES.c.variables).where(
        _PAGES.c.agent_id == bindparam("agent_id"), _PAGES.c.client_env == bindparam("client_env")
    )
)


class RealTimeConfigRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def pages(self, agent_id: str) -> dict[str, RealTimeConfig]:
        stmt = select(RealTimeConfig).where(RealTimeConfig.agent_id == agent_id)
        return {row.client_env: row for row in (await self.session.scalars(stmt)).all()}

    async def page(self, agent_id: str, client_env: str) -> RealTimeConfig | None:
        return await self.session.get(RealTimeConfig, (agent_id, client_env))

    async def variables(self, agent_id: str, client_env: str) -> dict[str, Any] | None:
        page = {"agent_id": agent_id, "client_env": client_env}
        row = await _VARIABLES.first(self.session, page)
        return None if row is None else dict(row["variables"] or {})

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

"""Every SQL statement about connectors and phone numbers. Every query names its agent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Connector, PhoneNumber


class TelephonyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- connectors

    async def connectors(self, agent_id: str) -> Sequence[Connector]:
        stmt = (
            select(Connector)
            .where(Connector.agent_id == agent_id)
            .order_by(Connector.created_at, Connector.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def connector(self, agent_id: str, connector_id: str) -> Connector | None:
        stmt = select(Connector).where(Connector.agent_id == agent_id, Connector.id == connector_id)
        return (await self.session.scalars(stmt)).one_or_none()

    async def connectors_by_id(self, agent_id: str, connector_ids: Sequence[str]) -> dict[str, Connector]:
        if not connector_ids:
            return {}
        stmt = select(Connector).where(Connector.agent_id == agent_id, Connector.id.in_(connector_ids))
        return {c.id: c for c in (await self.session.scalars(stmt)).all()}

    async def connectors_in_env(self, agent_id: str, client_env: str) -> Sequence[Connector]:
        stmt = select(Connector).where(Connector.agent_id == agent_id, Connector.client_env == client_env)
        return (await self.session.scalars(stmt)).all()

    async def connector_by_token_lookup(self, lookup: str) -> Connector | None:
        stmt = select(Connector).where(Connector.token_lookup == lookup)
        return (await self.session.scalars(stmt)).one_or_none()

    async def add(self, *objs: Connector | PhoneNumber) -> None:
        self.session.add_all(objs)
        await self.session.flush()

    async def delete_connector(self, connector: Connector) -> list[str]:
        """Delete the connector and its numbers; returns the numbers released."""
        numbers = await self.numbers_of_connector(connector.id)
        await self.session.execute(delete(PhoneNumber).where(PhoneNumber.connector_id == connector.id))
        await self.session.delete(connector)
        await self.session.flush()
        return numbers

    async def move_connector(self, connector: Connector, agent_id: str) -> None:
        """Move the connector and the numbers routed to it to another agent."""
        await self.session.execute(
            update(PhoneNumber).where(PhoneNumber.connector_id == connector.id).values(agent_id=agent_id)
        )
        connector.agent_id = agent_id
        await self.session.flush()

    # --- phone numbers

    async def numbers(self, agent_id: str, connector_id: str | None = None) -> Sequence[PhoneNumber]:
        stmt = select(PhoneNumber).where(PhoneNumber.agent_id == agent_id)
        if connector_id is not None:
            stmt = stmt.where(PhoneNumber.connector_id == connector_id)
        return (await self.session.scalars(stmt.order_by(PhoneNumber.number))).all()

    async def number(self, agent_id: str, number: str) -> PhoneNumber | None:
        stmt = select(PhoneNumber).where(PhoneNumber.agent_id == agent_id, PhoneNumber.number == number)
        return (await self.session.scalars(stmt)).one_or_none()

    async def numbers_by_value(self, agent_id: str, numbers: Sequence[str]) -> dict[str, PhoneNumber]:
        if not numbers:
            return {}
        stmt = select(PhoneNumber).where(PhoneNumber.agent_id == agent_id, PhoneNumber.number.in_(numbers))
        return {n.number: n for n in (await self.session.scalars(stmt)).all()}

    async def taken(self, numbers: Sequence[str]) -> list[str]:
        """Which of ``numbers`` exist anywhere in the server (a number routes to one place only)."""
        if not numbers:
            return []
        stmt = select(PhoneNumber.number).where(PhoneNumber.number.in_(numbers))
        return sorted((await self.session.scalars(stmt)).all())

    async def numbers_of_connector(self, connector_id: str) -> list[str]:
        stmt = (
            select(PhoneNumber.number)
            .where(PhoneNumber.connector_id == connector_id)
            .order_by(PhoneNumber.number)
        )
        return list((await self.session.scalars(stmt)).all())

    async def delete_numbers(self, agent_id: str, numbers: Sequence[str]) -> None:
        if numbers:
            await self.session.execute(
                delete(PhoneNumber).where(PhoneNumber.agent_id == agent_id, PhoneNumber.number.in_(numbers))
            )

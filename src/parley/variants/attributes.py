"""Variant attributes: the dimensions (city, opening hours, ...) every variant gives a value for."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches.repository import lock_agent
from parley.branches.scope import resolve_branch
from parley.branches.store import ResourceStore
from parley.errors import UnprocessableEntity
from parley.variants.resources import ATTRIBUTES, MAX_ATTRIBUTES, VARIANTS
from parley.variants.values import values_of


def attribute_limit_error(count: int) -> UnprocessableEntity:
    return UnprocessableEntity(
        f"A branch can have at most {MAX_ATTRIBUTES} attributes; this would make {count}.",
        data={"limit": MAX_ATTRIBUTES, "kind": "attribute", "count": count},
    )


class AttributeService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self, principal: Principal, agent_id: str, branch_ref: str) -> list[dict[str, Any]]:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=False)
        return [row.data for row in await ResourceStore(self.session, scope.branch.id, ATTRIBUTES).list()]

    async def create(self, principal: Principal, agent_id: str, branch_ref: str, name: str) -> dict[str, Any]:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        # Serialises writers of this agent so that two creates cannot both pass the limit check.
        await lock_agent(self.session, scope.agent.id)
        store = ResourceStore(self.session, scope.branch.id, ATTRIBUTES)
        count = len(await store.list()) + 1
        if count > MAX_ATTRIBUTES:
            raise attribute_limit_error(count)
        return (await store.create({"name": name})).data

    async def rename(
        self, principal: Principal, agent_id: str, branch_ref: str, attribute_id: str, name: str
    ) -> dict[str, Any]:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        store = ResourceStore(self.session, scope.branch.id, ATTRIBUTES)
        row = await store.get(attribute_id)
        return (await store.update(row, {"name": name})).data

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str, attribute_id: str) -> str:
        """Deletes the attribute and its value in every variant of the branch, in one transaction."""
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        await lock_agent(self.session, scope.agent.id)
        row = await ResourceStore(self.session, scope.branch.id, ATTRIBUTES).delete(attribute_id)
        variants = ResourceStore(self.session, scope.branch.id, VARIANTS)
        for variant in await variants.list():
            values = values_of(variant.data)
            if row.resource_id in values:
                del values[row.resource_id]
                await variants.update(variant, {"attributeValues": {"values": values}})
        return row.resource_id

"""Entities of a branch: name, description, type and the type's config."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches import kinds
from parley.branches.scope import resolve_branch
from parley.branches.store import ResourceKind, ResourceStore
from parley.entities.config import checked_config
from parley.entities.schemas import CreateEntityBody, UpdateEntityBody
from parley.errors import EntityNameAlreadyExists, EntityNotFound

# The seed has no entity codes: the generic 404 and 409 until the catalogue has its own.
ENTITIES = ResourceKind(
    name=kinds.ENTITY,
    id_prefix="ENTITY",
    label="Entity",
    not_found=EntityNotFound,
    name_taken=EntityNameAlreadyExists,
)


def _taken(name: str) -> EntityNameAlreadyExists:
    return EntityNameAlreadyExists(
        f"An entity named '{name}' already exists (names are compared ignoring case)."
    )


class EntityService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _store(
        self, principal: Principal, agent_id: str, branch_ref: str, *, write: bool
    ) -> ResourceStore:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=write)
        return ResourceStore(self.session, scope.branch.id, ENTITIES)

    async def list(self, principal: Principal, agent_id: str, branch_ref: str) -> list[dict[str, Any]]:
        store = await self._store(principal, agent_id, branch_ref, write=False)
        return [row.data for row in await store.list()]

    async def get(
        self, principal: Principal, agent_id: str, branch_ref: str, entity_id: str
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=False)
        return (await store.get(entity_id)).data

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, body: CreateEntityBody
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        document = {
            "name": body.name,
            "description": body.description,
            "type": body.type,
            "config": checked_config(body.type, body.config),
        }
        try:
            return (await store.create(document)).data
        except EntityNameAlreadyExists:
            raise _taken(body.name) from None

    async def update(
        self, principal: Principal, agent_id: str, branch_ref: str, entity_id: str, body: UpdateEntityBody
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        row = await store.get(entity_id)
        changes: dict[str, Any] = body.model_dump(include={"name", "description"}, exclude_unset=True)
        entity_type = body.type or str(row.data["type"])
        if body.config is not None:
            changes["config"] = checked_config(entity_type, body.config)
        elif entity_type != row.data["type"]:
            changes["config"] = checked_config(entity_type, {})
        changes["type"] = entity_type
        try:
            return (await store.update(row, changes)).data
        except EntityNameAlreadyExists:
            raise _taken(str(changes.get("name", row.data["name"]))) from None

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str, entity_id: str) -> None:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        await store.delete(entity_id)

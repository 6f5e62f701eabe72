"""Generic create/read/update/delete of one kind of branch-scoped resource.

Each feature slice declares a ResourceKind (its id prefix and its not-found and name-taken
errors) and keeps only its own rules; storage, name uniqueness and scoping live here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.branches.names import name_key_for
from parley.branches.repository import ResourceRepository
from parley.errors import ParleyError
from parley.kit.db import utcnow
from parley.kit.ids import new_id
from parley.models import BranchResource


@dataclass(frozen=True)
class ResourceKind:
    name: str
    id_prefix: str
    label: str
    not_found: type[ParleyError]
    name_taken: type[ParleyError]


class ResourceStore:
    def __init__(self, session: AsyncSession, branch_id: str, kind: ResourceKind) -> None:
        self.kind = kind
        self.repo = ResourceRepository(session, branch_id)

    async def list(self, parent_id: str | None = None) -> list[BranchResource]:
        return list(await self.repo.list(self.kind.name, parent_id))

    async def get(self, resource_id: str, parent_id: str | None = None) -> BranchResource:
        row = await self.repo.get(self.kind.name, resource_id, parent_id)
        if row is None:
            raise self.kind.not_found(f"{self.kind.label} '{resource_id}' does not exist.")
        return row

    async def find(self, resource_id: str) -> BranchResource | None:
        return await self.repo.get(self.kind.name, resource_id)

    async def by_name(self, name: str, parent_id: str = "") -> BranchResource | None:
        return await self.repo.by_name_key(self.kind.name, name_key_for({"name": name}, ""), parent_id)

    async def create(
        self, data: dict[str, Any], *, parent_id: str = "", resource_id: str | None = None
    ) -> BranchResource:
        resource_id = resource_id or new_id(self.kind.id_prefix, 8)
        document = {"id": resource_id, **{k: v for k, v in data.items() if k != "id"}}
        key = name_key_for(document, resource_id)
        await self._require_free_name(key, parent_id, resource_id)
        row = BranchResource(
            branch_id=self.repo.branch_id,
            kind=self.kind.name,
            resource_id=resource_id,
            parent_id=parent_id,
            name_key=key,
            data=document,
        )
        try:
            await self.repo.add(row)
        except IntegrityError:
            raise self._taken(document) from None
        return row

    async def update(self, row: BranchResource, changes: dict[str, Any]) -> BranchResource:
        document = {**row.data, **{k: v for k, v in changes.items() if k != "id"}}
        key = name_key_for(document, row.resource_id)
        if key != row.name_key:
            await self._require_free_name(key, row.parent_id, row.resource_id)
        # A new dict (not in-place mutation) so SQLAlchemy sees the JSON change.
        row.data = document
        row.name_key = key
        row.updated_at = utcnow()
        try:
            await self.repo.flush()
        except IntegrityError:
            raise self._taken(document) from None
        return row

    async def delete(self, resource_id: str, parent_id: str | None = None) -> BranchResource:
        row = await self.get(resource_id, parent_id)
        await self.repo.delete_children(row.resource_id)
        await self.repo.delete(self.kind.name, row.resource_id)
        return row

    async def _require_free_name(self, key: str, parent_id: str, resource_id: str) -> None:
        existing = await self.repo.by_name_key(self.kind.name, key, parent_id)
        if existing is not None and existing.resource_id != resource_id:
            raise self._taken(existing.data)

    def _taken(self, document: dict[str, Any]) -> ParleyError:
        name = document.get("name", "")
        label = self.kind.label if self.kind.label[:2].isupper() else self.kind.label.lower()
        return self.kind.name_taken(
            f"Another {label} is already named '{name}' (names are compared ignoring case)."
        )

"""Variants: named sets of attribute values, exactly one of which is the default.

Whenever a branch has variants, exactly one is the default: the first one created becomes it,
making another variant the default clears the flag on the previous one, and the default can be
neither deleted nor un-flagged (VARIANTS_REMOVE_DEFAULT_ERROR): the caller names the new default
instead, so the platform never has to guess one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches.repository import lock_agent
from parley.branches.scope import resolve_branch
from parley.branches.store import ResourceStore
from parley.errors import UnprocessableEntity, VariantsBadAttributesError, VariantsRemoveDefaultError
from parley.models import BranchResource
from parley.variants.resources import ATTRIBUTES, MAX_VARIANTS, VARIANTS
from parley.variants.schemas import CreateVariantBody, UpdateVariantBody


def variant_document(name: str, is_default: bool, values: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "isDefault": is_default, "attributeValues": {"values": values}}


def variant_limit_error(count: int) -> UnprocessableEntity:
    return UnprocessableEntity(
        f"A branch can have at most {MAX_VARIANTS} variants; this would make {count}.",
        data={"limit": MAX_VARIANTS, "kind": "variant", "count": count},
    )


def remove_default_error(name: str) -> VariantsRemoveDefaultError:
    return VariantsRemoveDefaultError(
        f"Variant '{name}' is the default variant: make another variant the default first "
        "(PATCH it with isDefault true).",
    )


async def clear_default(store: ResourceStore, rows: list[BranchResource], keep: str | None = None) -> None:
    for row in rows:
        if row.data.get("isDefault") and row.resource_id != keep:
            await store.update(row, {"isDefault": False})


class VariantService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self, principal: Principal, agent_id: str, branch_ref: str) -> list[dict[str, Any]]:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=False)
        return [row.data for row in await ResourceStore(self.session, scope.branch.id, VARIANTS).list()]

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, body: CreateVariantBody
    ) -> dict[str, Any]:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        # One writer per agent at a time: the limit and the single default depend on every row.
        await lock_agent(self.session, scope.agent.id)
        store = ResourceStore(self.session, scope.branch.id, VARIANTS)
        rows = await store.list()
        if len(rows) + 1 > MAX_VARIANTS:
            raise variant_limit_error(len(rows) + 1)
        values = await self._checked_values(scope.branch.id, body.attribute_values.values)
        is_default = not rows or body.is_default is True
        if is_default:
            await clear_default(store, rows)
        return (await store.create(variant_document(body.name, is_default, values))).data

    async def update(
        self,
        principal: Principal,
        agent_id: str,
        branch_ref: str,
        variant_id: str,
        body: UpdateVariantBody,
    ) -> dict[str, Any]:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        await lock_agent(self.session, scope.agent.id)
        store = ResourceStore(self.session, scope.branch.id, VARIANTS)
        row = await store.get(variant_id)
        changes: dict[str, Any] = {}
        if body.name is not None:
            changes["name"] = body.name
        if body.attribute_values is not None:
            values = await self._checked_values(scope.branch.id, body.attribute_values.values)
            changes["attributeValues"] = {"values": values}
        if body.is_default is False and row.data.get("isDefault"):
            raise remove_default_error(str(row.data.get("name")))
        if body.is_default is True and not row.data.get("isDefault"):
            await clear_default(store, await store.list(), keep=row.resource_id)
            changes["isDefault"] = True
        return (await store.update(row, changes)).data

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str, variant_id: str) -> str:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        await lock_agent(self.session, scope.agent.id)
        store = ResourceStore(self.session, scope.branch.id, VARIANTS)
        row = await store.get(variant_id)
        if row.data.get("isDefault"):
            raise remove_default_error(str(row.data.get("name")))
        await store.delete(row.resource_id)
        return row.resource_id

    async def _checked_values(self, branch_id: str, values: dict[str, str]) -> dict[str, str]:
        """Keys are attribute ids of this branch (not names, per the spec)."""
        attributes = {
            row.resource_id for row in await ResourceStore(self.session, branch_id, ATTRIBUTES).list()
        }
        unknown = sorted(key for key in values if key not in attributes)
        if unknown:
            shown = ", ".join(f"'{key[:80]}'" for key in unknown[:10])
            raise VariantsBadAttributesError(
                f"attributeValues.values keys must be attribute ids of this branch; unknown: {shown}.",
                data={"unknownAttributeIds": [key[:200] for key in unknown]},
            )
        return dict(values)

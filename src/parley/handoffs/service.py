"""Handoffs of a branch. Exactly one is the default whenever any exist (agent-model §1.9).

The first handoff becomes the default; making another the default clears the previous one;
un-flagging the default is refused (name the new default instead); deleting the default hands
the role to the oldest remaining handoff, as Studio does for variants.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches import kinds
from parley.branches.repository import lock_agent
from parley.branches.scope import resolve_branch
from parley.branches.store import ResourceKind, ResourceStore
from parley.errors import HandoffNameAlreadyExists, HandoffNotFound, UnprocessableEntity
from parley.handoffs.destinations import checked_destination, checked_invite_extras
from parley.handoffs.schemas import CreateHandoffBody, UpdateHandoffBody
from parley.models import BranchResource

# The seed has no handoff codes: the generic 404 and 409 until the catalogue has its own.
HANDOFFS = ResourceKind(
    name=kinds.HANDOFF,
    id_prefix="HANDOFF",
    label="Handoff",
    not_found=HandoffNotFound,
    name_taken=HandoffNameAlreadyExists,
)


async def _clear_default(store: ResourceStore, rows: list[BranchResource], keep: str | None = None) -> None:
    for row in rows:
        if row.data.get("isDefault") and row.resource_id != keep:
            await store.update(row, {"isDefault": False})


class HandoffService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _store(
        self, principal: Principal, agent_id: str, branch_ref: str, *, write: bool
    ) -> ResourceStore:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=write)
        if write:
            # One writer per agent at a time: the single default depends on every handoff.
            await lock_agent(self.session, scope.agent.id)
        return ResourceStore(self.session, scope.branch.id, HANDOFFS)

    async def list(self, principal: Principal, agent_id: str, branch_ref: str) -> list[dict[str, Any]]:
        store = await self._store(principal, agent_id, branch_ref, write=False)
        return [row.data for row in await store.list()]

    async def get(
        self, principal: Principal, agent_id: str, branch_ref: str, handoff_id: str
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=False)
        return (await store.get(handoff_id)).data

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, body: CreateHandoffBody
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        rows = await store.list()
        is_default = not rows or body.is_default is True
        endpoint, encryption = checked_invite_extras(
            body.method, body.outbound_endpoint, body.outbound_encryption
        )
        document: dict[str, Any] = {
            "name": body.name,
            "description": body.description,
            "method": body.method,
            "destination": checked_destination(body.method, body.destination),
            "reason": body.reason,
            "sipHeaders": [header.model_dump() for header in body.sip_headers],
            "outboundEndpoint": endpoint,
            "outboundEncryption": encryption,
            "isDefault": is_default,
        }
        if is_default:
            await _clear_default(store, rows)
        try:
            return (await store.create(document)).data
        except HandoffNameAlreadyExists:
            raise HandoffNameAlreadyExists(f"A handoff named '{body.name}' already exists.") from None

    async def update(
        self, principal: Principal, agent_id: str, branch_ref: str, handoff_id: str, body: UpdateHandoffBody
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        row = await store.get(handoff_id)
        changes: dict[str, Any] = body.model_dump(
            include={"name", "description", "reason"}, exclude_unset=True
        )
        if body.sip_headers is not None:
            changes["sipHeaders"] = [header.model_dump() for header in body.sip_headers]
        if body.model_fields_set & _ROUTING_FIELDS:
            # Method, destination and the invite's settings are checked together: each depends
            # on the method, sent or kept.
            method = body.method or str(row.data["method"])
            changes["method"] = method
            changes["destination"] = checked_destination(method, _sent_or_kept(body, row.data, "destination"))
            changes["outboundEndpoint"], changes["outboundEncryption"] = checked_invite_extras(
                method,
                _sent_or_kept(body, row.data, "outbound_endpoint"),
                _sent_or_kept(body, row.data, "outbound_encryption"),
            )
        if body.is_default is False and row.data.get("isDefault"):
            raise UnprocessableEntity(
                f"Handoff '{row.data['name']}' is the default handoff: make another handoff the default "
                "instead (PATCH it with isDefault true).",
            )
        if body.is_default is True and not row.data.get("isDefault"):
            await _clear_default(store, await store.list(), keep=row.resource_id)
            changes["isDefault"] = True
        try:
            return (await store.update(row, changes)).data
        except HandoffNameAlreadyExists:
            raise HandoffNameAlreadyExists(
                f"A handoff named '{changes.get('name')}' already exists."
            ) from None

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str, handoff_id: str) -> None:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        row = await store.delete(handoff_id)
        if row.data.get("isDefault"):
            remaining = await store.list()
            if remaining:
                await store.update(remaining[0], {"isDefault": True})


_ROUTING_FIELDS = frozenset({"method", "destination", "outbound_endpoint", "outbound_encryption"})


def _sent_or_kept(body: UpdateHandoffBody, stored: dict[str, Any], field: str) -> Any:
    """The value of ``field`` after this PATCH: as sent (null included), else as stored."""
    if field in body.model_fields_set:
        return getattr(body, field)
    # Documents are stored under the wire (camelCase) names.
    return stored.get(UpdateHandoffBody.model_fields[field].alias or field)

"""The agent's behavior (its global rules prompt), one per branch."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches.scope import resolve_branch
from parley.branches.store import ResourceKind, ResourceStore
from parley.errors import Conflict, ResourceNotFound

BEHAVIOR = ResourceKind(
    name="behavior", id_prefix="BEHAVIOR", label="Behavior", not_found=ResourceNotFound, name_taken=Conflict
)
BEHAVIOR_ID = "behavior"


class BehaviorService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, principal: Principal, agent_id: str, branch_ref: str) -> str:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=False)
        row = await ResourceStore(self.session, scope.branch.id, BEHAVIOR).find(BEHAVIOR_ID)
        # A new agent has no rules yet: an empty behavior, not a 404.
        return str(row.data.get("behavior", "")) if row else ""

    async def update(self, principal: Principal, agent_id: str, branch_ref: str, behavior: str) -> str:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        store = ResourceStore(self.session, scope.branch.id, BEHAVIOR)
        row = await store.find(BEHAVIOR_ID)
        if row is None:
            await store.create({"behavior": behavior}, resource_id=BEHAVIOR_ID)
        else:
            await store.update(row, {"behavior": behavior})
        return behavior

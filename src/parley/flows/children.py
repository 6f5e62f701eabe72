"""What steps and transition functions share: they live inside one flow of one branch."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches.store import ResourceKind, ResourceStore
from parley.flows.service import FlowScope, open_flow


class FlowChildService:
    kind: ClassVar[ResourceKind]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _store(self, scope: FlowScope) -> ResourceStore:
        return ResourceStore(self.session, scope.branch_id, self.kind)

    async def list(
        self, principal: Principal, agent_id: str, branch_ref: str, flow_id: str
    ) -> list[dict[str, Any]]:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=False)
        return [row.data for row in await self._store(scope).list(scope.flow_id)]

    async def get(
        self, principal: Principal, agent_id: str, branch_ref: str, flow_id: str, child_id: str
    ) -> dict[str, Any]:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=False)
        return (await self._store(scope).get(child_id, scope.flow_id)).data

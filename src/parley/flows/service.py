"""Flows of a branch: create, read, rename, set the start step, delete (with steps and functions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches.scope import BranchScope, resolve_branch
from parley.branches.store import ResourceStore
from parley.flows.problems import FieldProblem, invalid
from parley.flows.resources import FLOW, STEP
from parley.flows.schemas import CreateFlowBody, UpdateFlowBody, sent_fields
from parley.models import BranchResource


@dataclass(frozen=True)
class FlowScope:
    branch: BranchScope
    flow: BranchResource

    @property
    def branch_id(self) -> str:
        return self.branch.branch.id

    @property
    def flow_id(self) -> str:
        return self.flow.resource_id


async def open_flow(
    session: AsyncSession, principal: Principal, agent_id: str, branch_ref: str, flow_id: str, *, write: bool
) -> FlowScope:
    """The branch checks (access, role, branch, main read-only), then the flow's existence."""
    scope = await resolve_branch(session, principal, agent_id, branch_ref, write=write)
    flow = await ResourceStore(session, scope.branch.id, FLOW).get(flow_id)
    return FlowScope(scope, flow)


class FlowService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _flows(self, branch_id: str) -> ResourceStore:
        return ResourceStore(self.session, branch_id, FLOW)

    async def list(self, principal: Principal, agent_id: str, branch_ref: str) -> list[dict[str, Any]]:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=False)
        return [row.data for row in await self._flows(scope.branch.id).list()]

    async def get(self, principal: Principal, agent_id: str, branch_ref: str, flow_id: str) -> dict[str, Any]:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=False)
        return scope.flow.data

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, body: CreateFlowBody
    ) -> dict[str, Any]:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        if body.start_step is not None:
            raise invalid(
                [
                    FieldProblem(
                        "/body/startStep",
                        f"Step '{body.start_step}' does not exist: a new flow has no steps yet. "
                        "Create its steps, then set startStep with PATCH.",
                        "step_not_found",
                    )
                ]
            )
        row = await self._flows(scope.branch.id).create(
            {"name": body.name, "description": body.description, "startStep": None}
        )
        return row.data

    async def update(
        self, principal: Principal, agent_id: str, branch_ref: str, flow_id: str, body: UpdateFlowBody
    ) -> dict[str, Any]:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=True)
        changes = sent_fields(body)
        start_step = changes.get("startStep")
        if start_step is not None:
            step = await ResourceStore(self.session, scope.branch_id, STEP).by_name(
                start_step, parent_id=scope.flow_id
            )
            if step is None:
                raise invalid(
                    [
                        FieldProblem(
                            "/body/startStep",
                            f"Step '{start_step}' does not exist in flow '{scope.flow.data.get('name')}'.",
                            "step_not_found",
                        )
                    ]
                )
            # Stored as the step's own spelling, which is what compile and export match on.
            changes["startStep"] = step.data.get("name", start_step)
        row = await self._flows(scope.branch_id).update(scope.flow, changes)
        return row.data

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str, flow_id: str) -> None:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=True)
        # The store deletes every resource whose parent is the flow: its steps and its functions.
        await self._flows(scope.branch.id).delete(flow_id)

"""Transition functions of a flow: LLM-callable tools scoped to one flow, `{{ft:name}}` in prompts.

Their parameters are derived from the signature on every write, never sent by the client, so the
document always agrees with its code.
"""

from __future__ import annotations

from typing import Any

from parley.auth.principal import Principal
from parley.flows.children import FlowChildService
from parley.flows.resources import FLOW_FUNCTION
from parley.flows.schemas import CreateFunctionBody, UpdateFunctionBody, sent_fields
from parley.flows.service import open_flow
from parley.flows.signatures import require_unreserved_function_name, transition_function_parameters


class FlowFunctionService(FlowChildService):
    kind = FLOW_FUNCTION

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, flow_id: str, body: CreateFunctionBody
    ) -> dict[str, Any]:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=True)
        require_unreserved_function_name(body.name, "Function name")
        parameters = transition_function_parameters(body.code, body.name)
        row = await self._store(scope).create(
            {"name": body.name, "description": body.description, "code": body.code, "parameters": parameters},
            parent_id=scope.flow_id,
        )
        return row.data

    async def update(
        self,
        principal: Principal,
        agent_id: str,
        branch_ref: str,
        flow_id: str,
        function_id: str,
        body: UpdateFunctionBody,
    ) -> dict[str, Any]:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=True)
        store = self._store(scope)
        row = await store.get(function_id, scope.flow_id)
        changes = sent_fields(body)
        if "name" in changes:
            require_unreserved_function_name(changes["name"], "Function name")
        if changes.keys() & {"name", "code"}:
            # A rename needs code that defines the new name, so both are checked together.
            name = str(changes.get("name", row.data.get("name", "")))
            changes["parameters"] = transition_function_parameters(
                str(changes.get("code", row.data.get("code", ""))), name
            )
        return (await store.update(row, changes)).data

    async def delete(
        self, principal: Principal, agent_id: str, branch_ref: str, flow_id: str, function_id: str
    ) -> None:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=True)
        # `{{ft:...}}` references to it may remain; compile reports them (CONTRACT.md).
        await self._store(scope).delete(function_id, scope.flow_id)

"""Agent document -> branch, all or nothing.

Every resource goes through its own slice's service, so an imported branch obeys exactly the
rules the API enforces. The caller's transaction makes it atomic: the first failure (reported
with the document path of the item at fault) rolls back everything, the clearing included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.behavior.service import BehaviorService
from parley.branches.repository import ResourceRepository, lock_agent
from parley.branches.scope import resolve_branch
from parley.entities.schemas import CreateEntityBody
from parley.entities.service import EntityService
from parley.errors import ParleyError, SchemaValidationFailed
from parley.flows.functions import FlowFunctionService
from parley.flows.schemas import CreateFlowBody, CreateStepBody, UpdateFlowBody, UpdateStepBody
from parley.flows.schemas import CreateFunctionBody as CreateFlowFunctionBody
from parley.flows.service import FlowService
from parley.flows.steps import StepService
from parley.functions.schemas import CreateFunctionBody
from parley.functions.service import FunctionService
from parley.handoffs.schemas import CreateHandoffBody
from parley.handoffs.service import HandoffService
from parley.kit.http import validation_details
from parley.knowledge.schemas import CreateTopicBody
from parley.knowledge.service import TopicService
from parley.sms_templates.schemas import CreateSmsTemplateBody
from parley.sms_templates.service import SmsTemplateService
from parley.testing.cases import TestCaseService
from parley.testing.schemas import CreateTestCaseBody
from parley.transfer.document import AgentDocument, without
from parley.variants.attributes import AttributeService
from parley.variants.schemas import CreateVariantBody
from parley.variants.service import VariantService

B = TypeVar("B", bound=BaseModel)


def _body(model: type[B], data: dict[str, Any], path: str) -> B:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = validation_details(exc.errors())
        for error in errors:
            error["path"] = f"/{path}{error['path']}"
        raise SchemaValidationFailed(
            f"{path}: invalid item.", data={"path": path, "errors": errors}
        ) from None


@asynccontextmanager
async def _at(path: str) -> AsyncIterator[None]:
    """Re-raise any catalogue error with the document path of the item being imported."""
    try:
        yield
    except ParleyError as exc:
        details = {"details": exc.data} if exc.data else {}
        raise type(exc)(f"{path}: {exc.message}", data={"path": path, **details}) from None


class BranchImporter:
    def __init__(self, session: AsyncSession, principal: Principal, agent_id: str, branch_ref: str) -> None:
        self.session = session
        self.principal = principal
        self.agent_id = agent_id
        self.branch_ref = branch_ref

    async def run(self, document: AgentDocument) -> dict[str, int]:
        scope = await resolve_branch(self.session, self.principal, self.agent_id, self.branch_ref, write=True)
        await lock_agent(self.session, scope.agent.id)
        await ResourceRepository(self.session, scope.branch.id).delete_all()
        p, a, b, s = self.principal, self.agent_id, self.branch_ref, self.session

        attribute_ids: dict[str, str] = {}
        for i, name in enumerate(document.attributes):
            async with _at(f"attributes/{i}"):
                attribute_ids[name] = str((await AttributeService(s).create(p, a, b, name))["id"])
        for i, variant in enumerate(document.variants):
            path = f"variants/{i}"
            values = {attribute_ids.get(k, k): v for k, v in (variant.get("attributes") or {}).items()}
            data = {**without(variant, "attributes"), "attributeValues": {"values": values}}
            async with _at(path):
                await VariantService(s).create(p, a, b, _body(CreateVariantBody, data, path))
        for i, item in enumerate(document.entities):
            async with _at(f"entities/{i}"):
                await EntityService(s).create(p, a, b, _body(CreateEntityBody, item, f"entities/{i}"))
        for i, item in enumerate(document.handoffs):
            async with _at(f"handoffs/{i}"):
                await HandoffService(s).create(p, a, b, _body(CreateHandoffBody, item, f"handoffs/{i}"))
        functions = FunctionService(s)
        for i, item in enumerate(document.functions):
            path = f"functions/{i}"
            body = _body(CreateFunctionBody, item, path)
            async with _at(path):
                await functions.create(p, a, b, body.name, body.description, body.code)
        for which, code in (("start", document.start_function), ("end", document.end_function)):
            if code is not None:
                async with _at(f"{which}Function"):
                    await functions.put_special(p, a, b, which, code)
        # Texts may reference anything (variables come from code anywhere in the branch, SMS
        # templates from step prompts and the reverse), so every resource that holds code is
        # created first, and texts with references are filled in once all their targets exist.
        pending = [await self._create_flow(flow, f"flows/{i}") for i, flow in enumerate(document.flows)]
        for i, item in enumerate(document.sms_templates):
            async with _at(f"smsTemplates/{i}"):
                await SmsTemplateService(s).create(
                    p, a, b, _body(CreateSmsTemplateBody, item, f"smsTemplates/{i}")
                )
        for flow_pending in pending:
            await self._finish_flow(flow_pending)
        for i, item in enumerate(document.topics):
            async with _at(f"topics/{i}"):
                await TopicService(s).create(p, a, b, _body(CreateTopicBody, item, f"topics/{i}"))
        if document.behavior:
            async with _at("behavior"):
                await BehaviorService(s).update(p, a, b, document.behavior)
        # Last: their function assertions and variants must name things that exist.
        for i, item in enumerate(document.test_cases):
            async with _at(f"testCases/{i}"):
                await TestCaseService(s).create(p, a, b, _body(CreateTestCaseBody, item, f"testCases/{i}"))
        return {
            "attributes": len(document.attributes),
            "variants": len(document.variants),
            "entities": len(document.entities),
            "handoffs": len(document.handoffs),
            "smsTemplates": len(document.sms_templates),
            "functions": len(document.functions),
            "flows": len(document.flows),
            "topics": len(document.topics),
            "testCases": len(document.test_cases),
        }

    async def _create_flow(self, flow: dict[str, Any], path: str) -> _PendingFlow:
        """Create the flow, its functions and its steps, leaving out prompts and conditions."""
        p, a, b, s = self.principal, self.agent_id, self.branch_ref, self.session
        body = _body(CreateFlowBody, without(flow, "steps", "functions", "startStep"), path)
        async with _at(path):
            flow_id = str((await FlowService(s).create(p, a, b, body))["id"])
        for i, item in enumerate(flow.get("functions") or []):
            item_path = f"{path}/functions/{i}"
            async with _at(item_path):
                function = _body(CreateFlowFunctionBody, item, item_path)
                await FlowFunctionService(s).create(p, a, b, flow_id, function)
        pending = _PendingFlow(flow_id=flow_id, path=path, start_step=flow.get("startStep"))
        for i, item in enumerate(flow.get("steps") or []):
            item_path = f"{path}/steps/{i}"
            later = {k: item[k] for k in ("prompt", "conditions") if item.get(k)}
            first = without(item, "conditions")
            if "prompt" in later:
                first["prompt"] = _PLACEHOLDER_PROMPT
            async with _at(item_path):
                step = await StepService(s).create(p, a, b, flow_id, _body(CreateStepBody, first, item_path))
            if later:
                pending.steps.append((str(step["id"]), item_path, later))
        return pending

    async def _finish_flow(self, pending: _PendingFlow) -> None:
        p, a, b, s = self.principal, self.agent_id, self.branch_ref, self.session
        for step_id, item_path, later in pending.steps:
            async with _at(item_path):
                update = _body(UpdateStepBody, later, item_path)
                await StepService(s).update(p, a, b, pending.flow_id, step_id, update)
        if pending.start_step:
            async with _at(pending.path):
                update_flow = _body(UpdateFlowBody, {"startStep": pending.start_step}, pending.path)
                await FlowService(s).update(p, a, b, pending.flow_id, update_flow)


_PLACEHOLDER_PROMPT = "(being imported)"


@dataclass
class _PendingFlow:
    flow_id: str
    path: str
    start_step: Any
    steps: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

"""Steps of a flow: which fields each step type takes, and what those fields may name.

Steps name each other (a flow's ``startStep``, a condition's ``childStep``) by step name, as the
ADK does; so renaming a step rewrites those names in its flow, and a condition or start step
can never be left pointing at the old name by a rename (a delete may: compile reports it).
"""

from __future__ import annotations

from typing import Any

from parley.auth.principal import Principal
from parley.branches import kinds
from parley.branches.names import clean_name
from parley.branches.references import ReferenceResolver
from parley.branches.repository import ResourceRepository
from parley.branches.store import ResourceStore
from parley.errors import KnowledgeBaseRichTextInvalid
from parley.flows.children import FlowChildService
from parley.flows.problems import FieldProblem, invalid
from parley.flows.resources import FLOW, STEP
from parley.flows.schemas import CreateStepBody, UpdateStepBody, sent_fields
from parley.flows.service import FlowScope, open_flow
from parley.flows.signatures import check_function_step, require_unreserved_function_name
from parley.flows.step_settings import SETTINGS_FIELDS, stored_block

_TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "default": ("prompt", "extractedEntities", "conditions", *SETTINGS_FIELDS),
    "advanced": ("prompt", *SETTINGS_FIELDS),
    "function": ("code",),
}
_ALL_TYPE_FIELDS = ("prompt", "extractedEntities", "conditions", "code", *SETTINGS_FIELDS)
_OPTIONAL_DEFAULTS: dict[str, list[Any]] = {"extractedEntities": [], "conditions": []}

# agent-model.md §1.3: what a step prompt may reference; default steps may not call functions.
ADVANCED_PROMPT_PREFIXES = frozenset({"fn", "ft", "twilio_sms", "sms", "ho", "attr", "entity", "vrbl"})
DEFAULT_PROMPT_PREFIXES = ADVANCED_PROMPT_PREFIXES - {"fn", "ft"}
_FUNCTION_PREFIXES = ("fn", "ft")
_LISTED_REFERENCES = 5


class StepService(FlowChildService):
    kind = STEP

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, flow_id: str, body: CreateStepBody
    ) -> dict[str, Any]:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=True)
        sent = sent_fields(body)
        document = await self._document(scope, None, sent)
        row = await self._store(scope).create(document, parent_id=scope.flow_id)
        return row.data

    async def update(
        self,
        principal: Principal,
        agent_id: str,
        branch_ref: str,
        flow_id: str,
        step_id: str,
        body: UpdateStepBody,
    ) -> dict[str, Any]:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=True)
        store = self._store(scope)
        row = await store.get(step_id, scope.flow_id)
        sent = sent_fields(body)
        current = dict(row.data)
        document = await self._document(scope, current, sent)
        old_name, new_name = str(current.get("name", "")), str(document["name"])
        if new_name != old_name and "conditions" in document and "conditions" not in sent:
            document["conditions"] = _renamed(document["conditions"], old_name, new_name)
        # Replace the whole document, not merge into it: fields of a previous step type must go.
        row.data = {"id": row.resource_id}
        await store.update(row, document)
        if new_name != old_name:
            await self._follow_rename(scope, row.resource_id, old_name, new_name)
        return row.data

    async def delete(
        self, principal: Principal, agent_id: str, branch_ref: str, flow_id: str, step_id: str
    ) -> None:
        scope = await open_flow(self.session, principal, agent_id, branch_ref, flow_id, write=True)
        # Allowed even when the start step or a condition names it (CONTRACT.md): compile reports it.
        await self._store(scope).delete(step_id, scope.flow_id)

    # --- the document of one step -------------------------------------------------------------

    async def _document(
        self, scope: FlowScope, current: dict[str, Any] | None, sent: dict[str, Any]
    ) -> dict[str, Any]:
        """The step as it will be stored: sent fields over current ones, checked for its type."""
        current = current or {}
        step_type = str(sent.get("stepType") or current.get("stepType"))
        name = str(sent.get("name") or current.get("name", ""))
        if step_type not in _TYPE_FIELDS:
            # Only reachable for a stored document that lost its type (e.g. hand-edited imports).
            raise invalid(
                [FieldProblem("/body/stepType", "The step has no valid stepType: send one.", "missing")]
            )
        document: dict[str, Any] = {"name": name, "stepType": step_type}
        problems = [
            FieldProblem(
                f"/body/{field}", f"'{field}' does not apply to {step_type} steps.", "extra_forbidden"
            )
            for field in _ALL_TYPE_FIELDS
            if field in sent and field not in _TYPE_FIELDS[step_type]
        ]
        for field in _TYPE_FIELDS[step_type]:
            if field in sent:
                document[field] = stored_block(sent[field]) if field in SETTINGS_FIELDS else sent[field]
            elif field in current:
                document[field] = current[field]
            elif field in _OPTIONAL_DEFAULTS:
                document[field] = list(_OPTIONAL_DEFAULTS[field])
            elif field not in SETTINGS_FIELDS:
                problems.append(
                    FieldProblem(f"/body/{field}", f"'{field}' is required for {step_type} steps.", "missing")
                )
        if problems:
            raise invalid(problems)

        # Only what this request sets (or re-types) is checked: a field kept as it was may name
        # something deleted since, which compile reports, and must not block unrelated edits.
        checked = set(sent)
        if step_type != current.get("stepType"):
            checked |= set(_TYPE_FIELDS[step_type])
        if step_type == "function":
            document["functionName"] = self._entry_name(name)
            if checked & {"code", "name"}:
                check_function_step(str(document["code"]), document["functionName"])
            return document
        if step_type == "default":
            await self._resolve_names(scope, current.get("id"), document, checked)
        if "prompt" in checked:
            await self._check_prompt(scope, step_type, str(document["prompt"]))
        return document

    @staticmethod
    def _entry_name(step_name: str) -> str:
        """A function step's code defines ``def <clean_name(step name)>(conv, flow)``, as its ADK file."""
        entry = clean_name(step_name)
        if not entry.isidentifier():
            raise invalid(
                [
                    FieldProblem(
                        "/body/name",
                        f"A function step's name must give a Python function name: '{step_name}' gives "
                        f"'{entry}', which is not an identifier (does it start with a digit?).",
                        "function_name",
                    )
                ]
            )
        require_unreserved_function_name(entry, f"Step '{step_name}' defines the function, and")
        return entry

    async def _resolve_names(
        self, scope: FlowScope, step_id: str | None, document: dict[str, Any], checked: set[str]
    ) -> None:
        """Entities and child steps a default step names must exist; stored in their own spelling."""
        if not checked & {"extractedEntities", "conditions"}:
            return
        problems: list[FieldProblem] = []
        rows = await ResourceRepository(self.session, scope.branch_id).list(kinds.ENTITY)
        entities = {clean_name(str(r.data.get("name", ""))): str(r.data.get("name")) for r in rows}

        def resolve_entities(names: list[str], path: str) -> list[str]:
            for index, entity in enumerate(names):
                if clean_name(entity) not in entities:
                    problems.append(
                        FieldProblem(
                            f"{path}/{index}",
                            f"Entity '{entity}' does not exist in this branch.",
                            "not_found",
                        )
                    )
            return [entities.get(clean_name(entity), entity) for entity in names]

        if "extractedEntities" in checked:
            document["extractedEntities"] = resolve_entities(
                document["extractedEntities"], "/body/extractedEntities"
            )
        if "conditions" in checked:
            steps = {
                clean_name(str(r.data.get("name", ""))): str(r.data.get("name", ""))
                for r in await self._store(scope).list(scope.flow_id)
                if r.resource_id != step_id
            }
            # A condition may lead back to its own step (to collect again), under its new name.
            steps[clean_name(document["name"])] = document["name"]
            conditions = []
            for index, sent_condition in enumerate(document["conditions"]):
                condition = _condition(sent_condition)
                path = f"/body/conditions/{index}"
                child = condition.get("childStep")
                if child is not None and clean_name(child) not in steps:
                    problems.append(
                        FieldProblem(
                            f"{path}/childStep",
                            f"Step '{child}' does not exist in flow '{scope.flow.data.get('name')}'.",
                            "step_not_found",
                        )
                    )
                elif child is not None:
                    condition["childStep"] = steps[clean_name(child)]
                condition["requiredEntities"] = resolve_entities(
                    condition["requiredEntities"], f"{path}/requiredEntities"
                )
                conditions.append(condition)
            document["conditions"] = conditions
        if problems:
            raise invalid(problems)

    async def _check_prompt(self, scope: FlowScope, step_type: str, prompt: str) -> None:
        allowed = DEFAULT_PROMPT_PREFIXES if step_type == "default" else ADVANCED_PROMPT_PREFIXES
        resolver = ReferenceResolver(self.session, scope.branch_id)
        bad = await resolver.check(prompt, allowed, flow_id=scope.flow_id)
        if not bad:
            return
        calls = [
            b.reference for b in bad if b.reason == "not_allowed" and _is_function_reference(b.reference)
        ]
        if step_type == "default" and calls:
            message = f"Default steps cannot reference functions. Found function references: {calls}."
        else:
            listed = ", ".join(f"{b.reference} ({b.reason})" for b in bad[:_LISTED_REFERENCES])
            more = f" and {len(bad) - _LISTED_REFERENCES} more" if len(bad) > _LISTED_REFERENCES else ""
            message = f"The prompt has invalid references: {listed}{more}."
        raise KnowledgeBaseRichTextInvalid(
            message, data={"path": "/body/prompt", "references": [b.as_dict() for b in bad]}
        )

    async def _follow_rename(self, scope: FlowScope, step_id: str, old: str, new: str) -> None:
        flows = ResourceStore(self.session, scope.branch_id, FLOW)
        start = scope.flow.data.get("startStep")
        if isinstance(start, str) and clean_name(start) == clean_name(old):
            await flows.update(scope.flow, {"startStep": new})
        store = self._store(scope)
        for sibling in await store.list(scope.flow_id):
            if sibling.resource_id == step_id or not sibling.data.get("conditions"):
                continue
            conditions = _renamed(sibling.data["conditions"], old, new)
            if conditions != sibling.data["conditions"]:
                await store.update(sibling, {"conditions": conditions})


def _condition(condition: dict[str, Any]) -> dict[str, Any]:
    # An exit condition has no childStep key at all, rather than a null one.
    return {k: v for k, v in condition.items() if not (k == "childStep" and v is None)}


def _is_function_reference(reference: str) -> bool:
    return reference.startswith(tuple(f"{{{{{prefix}:" for prefix in _FUNCTION_PREFIXES))


def _renamed(conditions: Any, old: str, new: str) -> Any:
    if not isinstance(conditions, list):
        return conditions
    renamed = []
    for condition in conditions:
        child = condition.get("childStep") if isinstance(condition, dict) else None
        if isinstance(child, str) and clean_name(child) == clean_name(old):
            condition = {**condition, "childStep": new}
        renamed.append(condition)
    return renamed

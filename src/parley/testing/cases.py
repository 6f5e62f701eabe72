"""Test cases of a branch: the ADK's fields plus scripted turns and response assertions.

The stored document is the public camelCase representation, so merge, export and compile carry
test cases like any other branch resource.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches import kinds
from parley.branches.names import clean_name
from parley.branches.repository import ResourceRepository
from parley.branches.scope import resolve_branch
from parley.branches.store import ResourceKind, ResourceStore
from parley.deployments.compiler import step_entry_name
from parley.errors import SchemaValidationFailed, TestCaseNameAlreadyExists, TestCaseNotFound
from parley.testing.schemas import CreateTestCaseBody, UpdateTestCaseBody

TEST_CASES = ResourceKind(
    name=kinds.TEST_CASE,
    id_prefix="TEST_CASE",
    label="Test case",
    not_found=TestCaseNotFound,
    # No dedicated code exists for a taken test-case name; the generic 409 says it plainly.
    name_taken=TestCaseNameAlreadyExists,
)
SPECIAL_FUNCTIONS = ("start_function", "end_function")
DEFAULTS: dict[str, Any] = {
    "scenario": "",
    "channel": "webchat",
    "language": None,
    "variant": None,
    "tags": [],
    "simulatedAt": None,
    "callerNumber": None,
    "sipHeaders": {},
    "integrationAttributes": {},
    "promptAssertions": [],
    "functionCallAssertions": [],
    "userTurns": [],
    "responseAssertions": [],
}


def _fields(body: CreateTestCaseBody | UpdateTestCaseBody) -> dict[str, Any]:
    """The fields the caller sent, as stored: camelCase, datetimes as ISO 8601 with Z."""
    sent = body.model_dump(by_alias=True, include=body.model_fields_set, mode="json")
    if sent.get("simulatedAt"):
        sent["simulatedAt"] = str(sent["simulatedAt"]).replace("+00:00", "Z")
    for key in ("scenario", "tags", "sipHeaders", "integrationAttributes", "promptAssertions"):
        if key in sent and sent[key] is None:
            sent[key] = DEFAULTS[key]
    for key in ("functionCallAssertions", "userTurns", "responseAssertions"):
        if key in sent and sent[key] is None:
            sent[key] = []
    return sent


def _invalid(path: str, message: str) -> SchemaValidationFailed:
    return SchemaValidationFailed(
        f"Validation error in test case: {message}",
        data={"errors": [{"path": path, "message": message, "type": "value_error"}]},
    )


class TestCaseService:
    __test__ = False

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _store(
        self, principal: Principal, agent_id: str, branch_ref: str, *, write: bool
    ) -> ResourceStore:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=write)
        return ResourceStore(self.session, scope.branch.id, TEST_CASES)

    async def list(self, principal: Principal, agent_id: str, branch_ref: str) -> list[dict[str, Any]]:
        store = await self._store(principal, agent_id, branch_ref, write=False)
        return [{**DEFAULTS, **row.data} for row in await store.list()]

    async def get(self, principal: Principal, agent_id: str, branch_ref: str, case_id: str) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=False)
        return {**DEFAULTS, **(await store.get(case_id)).data}

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, body: CreateTestCaseBody
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        document = {**DEFAULTS, **_fields(body)}
        await self._check(store, document)
        return (await store.create(document)).data

    async def update(
        self,
        principal: Principal,
        agent_id: str,
        branch_ref: str,
        case_id: str,
        body: UpdateTestCaseBody,
    ) -> dict[str, Any]:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        row = await store.get(case_id)
        document = {**DEFAULTS, **row.data, **_fields(body)}
        if not str(document["scenario"]).strip() and not document["userTurns"]:
            raise _invalid("/body", "a test case needs a scenario (simulated caller) or userTurns (scripted)")
        await self._check(store, document)
        return (await store.update(row, document)).data

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str, case_id: str) -> None:
        store = await self._store(principal, agent_id, branch_ref, write=True)
        await store.delete(case_id)

    async def _check(self, store: ResourceStore, document: dict[str, Any]) -> None:
        """The ADK's cross-resource rules: the variant and the asserted functions must exist."""
        resources = ResourceRepository(self.session, store.repo.branch_id)
        variant = document.get("variant")
        if variant is not None:
            names = {clean_name(str(r.data.get("name"))) for r in await resources.list(kinds.VARIANT)}
            if clean_name(str(variant)) not in names:
                raise _invalid("/body/variant", f"Variant {variant} not found")
        assertions = document.get("functionCallAssertions") or []
        if assertions:
            known = await self._function_names(resources)
            for i, assertion in enumerate(assertions):
                if assertion["name"] not in known:
                    raise _invalid(
                        f"/body/functionCallAssertions/{i}/name",
                        f"Unknown function in assertion: {assertion['name']}",
                    )
        turns = len(document.get("userTurns") or [])
        for i, assertion in enumerate(document.get("responseAssertions") or []):
            turn = assertion.get("turn")
            if turns and turn is not None and turn > turns:
                raise _invalid(
                    f"/body/responseAssertions/{i}/turn",
                    f"turn {turn} does not exist: the case has {turns} user turn(s), so replies 0-{turns}",
                )

    async def _function_names(self, resources: ResourceRepository) -> set[str]:
        """Everything a conversation can record as a call: global, transition and step functions."""
        names = set(SPECIAL_FUNCTIONS)
        names |= {str(r.data.get("name")) for r in await resources.list(kinds.FUNCTION)}
        names |= {str(r.data.get("name")) for r in await resources.list(kinds.FLOW_FUNCTION)}
        names |= {
            step_entry_name(r.data)
            for r in await resources.list(kinds.FLOW_STEP)
            if r.data.get("stepType") == "function"
        }
        return names

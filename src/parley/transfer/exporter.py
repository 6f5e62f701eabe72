"""Branch -> agent document."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches import kinds
from parley.branches.repository import BranchRepository
from parley.branches.scope import resolve_branch
from parley.models import BranchResource
from parley.transfer.document import FORMAT_VERSION, without

_DERIVED = ("id", "parameters", "functionName", "createdAt", "updatedAt")


async def export_branch(
    session: AsyncSession, principal: Principal, agent_id: str, branch_ref: str
) -> dict[str, Any]:
    scope = await resolve_branch(session, principal, agent_id, branch_ref, write=False)
    rows: dict[str, list[BranchResource]] = defaultdict(list)
    for row in await BranchRepository(session).all_resources(scope.branch.id):
        rows[row.kind].append(row)
    for items in rows.values():
        items.sort(key=lambda r: (r.created_at, r.resource_id))

    attribute_names = {r.resource_id: str(r.data.get("name")) for r in rows[kinds.ATTRIBUTE]}
    special = {r.resource_id: r.data.get("code") for r in rows[kinds.SPECIAL_FUNCTION]}

    def plain(row: BranchResource) -> dict[str, Any]:
        return without(row.data, *_DERIVED)

    flows = []
    for flow in rows[kinds.FLOW]:
        flows.append(
            {
                **plain(flow),
                "steps": [plain(s) for s in rows[kinds.FLOW_STEP] if s.parent_id == flow.resource_id],
                "functions": [plain(f) for f in rows[kinds.FLOW_FUNCTION] if f.parent_id == flow.resource_id],
            }
        )
    variants = []
    for variant in rows[kinds.VARIANT]:
        values = (variant.data.get("attributeValues") or {}).get("values") or {}
        variants.append(
            {
                "name": variant.data.get("name"),
                "isDefault": bool(variant.data.get("isDefault")),
                "attributes": {attribute_names.get(k, k): v for k, v in values.items()},
            }
        )
    behavior = next((r.data.get("behavior", "") for r in rows[kinds.BEHAVIOR]), "")
    return {
        "formatVersion": FORMAT_VERSION,
        "behavior": behavior,
        "attributes": [attribute_names[r.resource_id] for r in rows[kinds.ATTRIBUTE]],
        "variants": variants,
        "entities": [plain(r) for r in rows[kinds.ENTITY]],
        "handoffs": [plain(r) for r in rows[kinds.HANDOFF]],
        "smsTemplates": [plain(r) for r in rows[kinds.SMS_TEMPLATE]],
        "functions": [plain(r) for r in rows[kinds.FUNCTION]],
        "startFunction": special.get("start"),
        "endFunction": special.get("end"),
        "flows": flows,
        "topics": [plain(r) for r in rows[kinds.TOPIC]],
        "testCases": [plain(r) for r in rows[kinds.TEST_CASE]],
    }

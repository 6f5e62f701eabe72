"""Agent export and import: a whole branch as one JSON document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from parley.auth.deps import PrincipalDep
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.transfer.document import AgentDocument
from parley.transfer.exporter import export_branch
from parley.transfer.importer import BranchImporter

router = APIRouter(
    prefix="/v1/agents/{agentId}/branches/{branchId}",
    tags=["Agent export and import"],
    route_class=make_route_class(),
)


@router.get("/export")
async def export_agent(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    """The branch as one agent document (no ids; import re-creates them)."""
    return await export_branch(session, principal, agentId, branchId)


@router.post("/import")
async def import_agent(
    agentId: str, branchId: str, document: AgentDocument, principal: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    """Replace the branch's content with an agent document, all or nothing."""
    counts = await BranchImporter(session, principal, agentId, branchId).run(document)
    return {"imported": counts}

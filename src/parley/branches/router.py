"""Branches of an agent, per the Agents API spec."""

from __future__ import annotations

from fastapi import APIRouter, status

from parley.auth.deps import PrincipalDep
from parley.branches.schemas import (
    BranchesResponse,
    BranchView,
    CreateBranchBody,
    CreateBranchResponse,
    DeleteBranchResponse,
    MergeBranchBody,
    MergeBranchResponse,
)
from parley.branches.scope import public_branch_id
from parley.branches.service import BranchService
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.testing.deps import RunStarterDep

router = APIRouter(prefix="/v1/agents/{agentId}/branches", tags=["Branches"], route_class=make_route_class())


@router.get("", response_model=BranchesResponse)
async def list_branches(agentId: str, principal: PrincipalDep, session: SessionDep) -> BranchesResponse:
    """List the agent's branches, main first."""
    branches = await BranchService(session).list_branches(principal, agentId)
    views = [
        BranchView(
            branch_id=public_branch_id(b),
            name=b.name,
            is_main=b.name == "main",
            created_at=b.created_at,
            sequence_id=str(b.sequence),
        )
        for b in branches
    ]
    return BranchesResponse(branches=sorted(views, key=lambda v: (not v.is_main, v.created_at)))


@router.post("", response_model=CreateBranchResponse, status_code=status.HTTP_201_CREATED)
async def create_branch(
    agentId: str, body: CreateBranchBody, principal: PrincipalDep, session: SessionDep
) -> CreateBranchResponse:
    """Create a branch as a copy of main."""
    branch = await BranchService(session).create(principal, agentId, body.branch_name)
    return CreateBranchResponse(branch_id=branch.id, sequence_id=str(branch.sequence))


@router.delete("/{branchId}", response_model=DeleteBranchResponse)
async def delete_branch(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> DeleteBranchResponse:
    """Delete a branch and its changes."""
    sequence = await BranchService(session).delete(principal, agentId, branchId)
    return DeleteBranchResponse(sequence=str(sequence), message="Branch deleted")


@router.post("/{branchId}/merge", response_model=MergeBranchResponse)
async def merge_branch(
    agentId: str,
    branchId: str,
    principal: PrincipalDep,
    session: SessionDep,
    starter: RunStarterDep,
    body: MergeBranchBody | None = None,
) -> MergeBranchResponse:
    """Three-way merge the branch into main (conflicts: 409 with every conflict in data)."""
    body = body or MergeBranchBody()
    outcome = await BranchService(session).merge(
        principal, agentId, branchId, body.conflict_resolutions, body.deployment_message
    )
    starter.start(outcome.test_run_ids)
    return MergeBranchResponse(
        sequence=str(outcome.sequence),
        message="Branch merged to main and deployed to sandbox",
        test_run_ids=outcome.test_run_ids,
    )

"""Handoffs of a branch (a parley extension: PolyAI documents the resource but no path)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.auth.deps import PrincipalDep
from parley.handoffs.schemas import CreateHandoffBody, HandoffsResponse, HandoffView, UpdateHandoffBody
from parley.handoffs.service import HandoffService
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class

router = APIRouter(
    prefix="/v1/agents/{agentId}/branches/{branchId}/handoffs",
    tags=["Handoffs"],
    route_class=make_route_class(),
)


@router.get("", response_model=HandoffsResponse)
async def list_handoffs(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> HandoffsResponse:
    """List the branch's handoffs."""
    handoffs = await HandoffService(session).list(principal, agentId, branchId)
    return HandoffsResponse.model_validate({"handoffs": handoffs})


@router.post("", response_model=HandoffView, status_code=status.HTTP_201_CREATED)
async def create_handoff(
    agentId: str, branchId: str, body: CreateHandoffBody, principal: PrincipalDep, session: SessionDep
) -> HandoffView:
    """Create a handoff; the branch's first handoff is its default."""
    return HandoffView.model_validate(
        await HandoffService(session).create(principal, agentId, branchId, body)
    )


@router.get("/{handoffId}", response_model=HandoffView)
async def get_handoff(
    agentId: str, branchId: str, handoffId: str, principal: PrincipalDep, session: SessionDep
) -> HandoffView:
    """Get one handoff."""
    return HandoffView.model_validate(
        await HandoffService(session).get(principal, agentId, branchId, handoffId)
    )


@router.patch("/{handoffId}", response_model=HandoffView)
async def update_handoff(
    agentId: str,
    branchId: str,
    handoffId: str,
    body: UpdateHandoffBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> HandoffView:
    """Change a handoff; fields left out stay as they are."""
    updated = await HandoffService(session).update(principal, agentId, branchId, handoffId, body)
    return HandoffView.model_validate(updated)


@router.delete("/{handoffId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_handoff(
    agentId: str, branchId: str, handoffId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete a handoff; if it was the default, the oldest remaining one becomes the default."""
    await HandoffService(session).delete(principal, agentId, branchId, handoffId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Behavior (the rules prompt) of a branch, per the Agents API spec."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from parley.auth.deps import PrincipalDep
from parley.behavior.service import BehaviorService
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.kit.schemas import RequestSchema, ResponseSchema

router = APIRouter(
    prefix="/v1/agents/{agentId}/branches/{branchId}", tags=["Behavior"], route_class=make_route_class()
)


class BehaviorResponse(ResponseSchema):
    behavior: str


class UpdateBehaviorBody(RequestSchema):
    behavior: str = Field(min_length=1, max_length=100_000)


@router.get("/behavior", response_model=BehaviorResponse)
async def get_behavior(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> BehaviorResponse:
    """Get the branch's behavior."""
    return BehaviorResponse(behavior=await BehaviorService(session).get(principal, agentId, branchId))


@router.patch("/behavior", response_model=BehaviorResponse)
async def update_behavior(
    agentId: str, branchId: str, body: UpdateBehaviorBody, principal: PrincipalDep, session: SessionDep
) -> BehaviorResponse:
    """Replace the branch's behavior."""
    updated = await BehaviorService(session).update(principal, agentId, branchId, body.behavior)
    return BehaviorResponse(behavior=updated)

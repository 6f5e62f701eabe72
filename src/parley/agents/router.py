"""Agents (projects), per the Agents API spec."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.agents.schemas import AgentSummary, CreateAgentBody, DuplicateAgentBody
from parley.agents.service import AgentService
from parley.auth.deps import PrincipalDep
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class

router = APIRouter(tags=["Agents"], route_class=make_route_class())


@router.get("/v1/accounts/{accountId}/agents", response_model=list[AgentSummary])
async def list_agents(accountId: str, principal: PrincipalDep, session: SessionDep) -> list[AgentSummary]:
    """List the agents of an account that this key may see."""
    return await AgentService(session).list_agents(principal, accountId)


@router.post("/v1/accounts/{accountId}/agents", response_model=AgentSummary)
async def create_agent(
    accountId: str, body: CreateAgentBody, principal: PrincipalDep, session: SessionDep
) -> AgentSummary:
    """Create an agent with its `main` branch."""
    return await AgentService(session).create(principal, accountId, body)


@router.delete("/v1/agents/{agentId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_agent(agentId: str, principal: PrincipalDep, session: SessionDep) -> Response:
    """Delete an agent with all its branches and deployments."""
    await AgentService(session).delete(principal, agentId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/v1/agents/{agentId}/duplicate", response_model=AgentSummary)
async def duplicate_agent(
    agentId: str, body: DuplicateAgentBody, principal: PrincipalDep, session: SessionDep
) -> AgentSummary:
    """Copy an agent under a new id and name."""
    return await AgentService(session).duplicate(principal, agentId, body)

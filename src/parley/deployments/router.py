"""Deployments, per the Agents API spec (agent-scoped, not branch-scoped)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from parley.auth.deps import PrincipalDep
from parley.deployments.schemas import (
    ActiveDeploymentsResponse,
    DeploymentsResponse,
    DeploymentView,
    MutationResponse,
    Notice,
    PromoteBody,
    PublishBody,
    RollbackBody,
)
from parley.deployments.service import DeploymentService, Outcome
from parley.errors import DeploymentsValidationFailed
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.models import Deployment
from parley.testing.deps import RunStarterDep

router = APIRouter(
    prefix="/v1/agents/{agentId}/deployments",
    tags=["Deployments"],
    route_class=make_route_class(DeploymentsValidationFailed),
)


def deployment_view(deployment: Deployment) -> DeploymentView:
    return DeploymentView(
        id=deployment.id,
        account_id=deployment.account_id,
        agent_id=deployment.agent_id,
        environment=deployment.environment,
        artifact_version=str(deployment.artifact_number),
        version=deployment.version,
        created_by=deployment.created_by,
        created_at=deployment.created_at.isoformat().replace("+00:00", "Z"),
        metadata=dict(deployment.meta or {}),
    )


def _mutation(outcome: Outcome) -> MutationResponse:
    notice = None
    if outcome.notice is not None:
        spec = outcome.notice.spec
        notice = Notice(code=spec.code, id=spec.id, message=outcome.notice.message)
    return MutationResponse(
        deployment=deployment_view(outcome.deployment), test_run_ids=outcome.test_run_ids, notice=notice
    )


@router.get("", response_model=DeploymentsResponse)
async def list_deployments(
    agentId: str,
    principal: PrincipalDep,
    session: SessionDep,
    environment: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeploymentsResponse:
    """Deployments of one environment, newest first."""
    deployments = await DeploymentService(session).history(principal, agentId, environment, limit)
    return DeploymentsResponse(deployments=[deployment_view(d) for d in deployments])


@router.get("/active", response_model=ActiveDeploymentsResponse)
async def active_deployments(
    agentId: str, principal: PrincipalDep, session: SessionDep
) -> ActiveDeploymentsResponse:
    """The active deployment of each environment (null where none)."""
    active = await DeploymentService(session).active(principal, agentId)
    return ActiveDeploymentsResponse(
        active_deployments={env: deployment_view(d) if d else None for env, d in active.items()}
    )


@router.post(
    "/publish",
    response_model=MutationResponse,
    response_model_exclude_none=True,
    status_code=status.HTTP_201_CREATED,
)
async def publish(
    agentId: str,
    principal: PrincipalDep,
    session: SessionDep,
    starter: RunStarterDep,
    body: PublishBody | None = None,
) -> MutationResponse:
    """Compile main into an immutable version and deploy it (default: sandbox)."""
    body = body or PublishBody()
    outcome = await DeploymentService(session).publish(
        principal, agentId, body.environment, body.deployment_message
    )
    starter.start(outcome.test_run_ids)
    return _mutation(outcome)


@router.post("/{deploymentId}/promote", response_model=MutationResponse, response_model_exclude_none=True)
async def promote(
    agentId: str,
    deploymentId: str,
    principal: PrincipalDep,
    session: SessionDep,
    starter: RunStarterDep,
    body: PromoteBody | None = None,
) -> MutationResponse:
    """Deploy a deployment's version to a later environment (default: the next one)."""
    body = body or PromoteBody()
    outcome = await DeploymentService(session).promote(
        principal, agentId, deploymentId, body.target_environment, body.deployment_message
    )
    starter.start(outcome.test_run_ids)
    return _mutation(outcome)


@router.post("/{deploymentId}/rollback", response_model=MutationResponse, response_model_exclude_none=True)
async def rollback(
    agentId: str,
    deploymentId: str,
    principal: PrincipalDep,
    session: SessionDep,
    body: RollbackBody | None = None,
) -> MutationResponse:
    """Make an earlier deployment's version active again in its environment."""
    body = body or RollbackBody()
    outcome = await DeploymentService(session).rollback(
        principal, agentId, deploymentId, body.deployment_message
    )
    return _mutation(outcome)

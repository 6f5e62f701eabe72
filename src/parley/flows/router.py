"""Flows, their steps and their transition functions (extension endpoints, CONTRACT.md "Flows")."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.auth.deps import PrincipalDep
from parley.flows.functions import FlowFunctionService
from parley.flows.schemas import (
    CreateFlowBody,
    CreateFunctionBody,
    CreateStepBody,
    FlowsResponse,
    FlowView,
    FunctionsResponse,
    FunctionView,
    StepsResponse,
    StepView,
    UpdateFlowBody,
    UpdateFunctionBody,
    UpdateStepBody,
)
from parley.flows.service import FlowService
from parley.flows.steps import StepService
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class

router = APIRouter(
    prefix="/v1/agents/{agentId}/branches/{branchId}/flows", tags=["Flows"], route_class=make_route_class()
)

# --- Flows ------------------------------------------------------------------------------------


@router.get("", response_model=FlowsResponse)
async def list_flows(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> FlowsResponse:
    """List the branch's flows."""
    flows = await FlowService(session).list(principal, agentId, branchId)
    return FlowsResponse.model_validate({"flows": flows})


@router.post("", response_model=FlowView, status_code=status.HTTP_201_CREATED)
async def create_flow(
    agentId: str, branchId: str, body: CreateFlowBody, principal: PrincipalDep, session: SessionDep
) -> FlowView:
    """Create a flow; its startStep is set with PATCH once the flow has steps."""
    return FlowView.model_validate(await FlowService(session).create(principal, agentId, branchId, body))


@router.get("/{flowId}", response_model=FlowView)
async def get_flow(
    agentId: str, branchId: str, flowId: str, principal: PrincipalDep, session: SessionDep
) -> FlowView:
    """Get one flow."""
    return FlowView.model_validate(await FlowService(session).get(principal, agentId, branchId, flowId))


@router.patch("/{flowId}", response_model=FlowView)
async def update_flow(
    agentId: str,
    branchId: str,
    flowId: str,
    body: UpdateFlowBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> FlowView:
    """Rename a flow, change its description, or set (or clear, with null) its start step."""
    updated = await FlowService(session).update(principal, agentId, branchId, flowId, body)
    return FlowView.model_validate(updated)


@router.delete("/{flowId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_flow(
    agentId: str, branchId: str, flowId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete a flow with its steps and transition functions."""
    await FlowService(session).delete(principal, agentId, branchId, flowId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- Steps ------------------------------------------------------------------------------------


@router.get("/{flowId}/steps", response_model=StepsResponse, response_model_exclude_none=True)
async def list_flow_steps(
    agentId: str, branchId: str, flowId: str, principal: PrincipalDep, session: SessionDep
) -> StepsResponse:
    """List a flow's steps."""
    steps = await StepService(session).list(principal, agentId, branchId, flowId)
    return StepsResponse.model_validate({"steps": steps})


@router.post(
    "/{flowId}/steps",
    response_model=StepView,
    response_model_exclude_none=True,
    status_code=status.HTTP_201_CREATED,
)
async def create_flow_step(
    agentId: str,
    branchId: str,
    flowId: str,
    body: CreateStepBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> StepView:
    """Create a default, advanced or function step."""
    created = await StepService(session).create(principal, agentId, branchId, flowId, body)
    return StepView.model_validate(created)


@router.get("/{flowId}/steps/{stepId}", response_model=StepView, response_model_exclude_none=True)
async def get_flow_step(
    agentId: str, branchId: str, flowId: str, stepId: str, principal: PrincipalDep, session: SessionDep
) -> StepView:
    """Get one step."""
    return StepView.model_validate(
        await StepService(session).get(principal, agentId, branchId, flowId, stepId)
    )


@router.patch("/{flowId}/steps/{stepId}", response_model=StepView, response_model_exclude_none=True)
async def update_flow_step(
    agentId: str,
    branchId: str,
    flowId: str,
    stepId: str,
    body: UpdateStepBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> StepView:
    """Change a step; a rename is followed by the flow's startStep and conditions naming it."""
    updated = await StepService(session).update(principal, agentId, branchId, flowId, stepId, body)
    return StepView.model_validate(updated)


@router.delete("/{flowId}/steps/{stepId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_flow_step(
    agentId: str, branchId: str, flowId: str, stepId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete a step, even one still named by the start step or a condition."""
    await StepService(session).delete(principal, agentId, branchId, flowId, stepId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- Transition functions ---------------------------------------------------------------------


@router.get("/{flowId}/functions", response_model=FunctionsResponse, response_model_exclude_unset=True)
async def list_flow_functions(
    agentId: str, branchId: str, flowId: str, principal: PrincipalDep, session: SessionDep
) -> FunctionsResponse:
    """List a flow's transition functions."""
    functions = await FlowFunctionService(session).list(principal, agentId, branchId, flowId)
    return FunctionsResponse.model_validate({"functions": functions})


@router.post(
    "/{flowId}/functions",
    response_model=FunctionView,
    response_model_exclude_unset=True,
    status_code=status.HTTP_201_CREATED,
)
async def create_flow_function(
    agentId: str,
    branchId: str,
    flowId: str,
    body: CreateFunctionBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> FunctionView:
    """Create a transition function: `def <name>(conv, flow, <typed params>)`."""
    created = await FlowFunctionService(session).create(principal, agentId, branchId, flowId, body)
    return FunctionView.model_validate(created)


@router.get(
    "/{flowId}/functions/{functionId}", response_model=FunctionView, response_model_exclude_unset=True
)
async def get_flow_function(
    agentId: str, branchId: str, flowId: str, functionId: str, principal: PrincipalDep, session: SessionDep
) -> FunctionView:
    """Get one transition function."""
    found = await FlowFunctionService(session).get(principal, agentId, branchId, flowId, functionId)
    return FunctionView.model_validate(found)


@router.patch(
    "/{flowId}/functions/{functionId}", response_model=FunctionView, response_model_exclude_unset=True
)
async def update_flow_function(
    agentId: str,
    branchId: str,
    flowId: str,
    functionId: str,
    body: UpdateFunctionBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> FunctionView:
    """Change a transition function; its parameters follow its code."""
    updated = await FlowFunctionService(session).update(
        principal, agentId, branchId, flowId, functionId, body
    )
    return FunctionView.model_validate(updated)


@router.delete(
    "/{flowId}/functions/{functionId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def delete_flow_function(
    agentId: str, branchId: str, flowId: str, functionId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete a transition function."""
    await FlowFunctionService(session).delete(principal, agentId, branchId, flowId, functionId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Test cases (branch-scoped), test runs and test settings (agent-scoped)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from parley.auth.deps import PrincipalDep
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.testing.cases import TestCaseService
from parley.testing.deps import RunStarterDep
from parley.testing.schemas import (
    CreateTestCaseBody,
    TestCasesResponse,
    TestCaseView,
    TestRunsResponse,
    TestRunView,
    TestSettingsBody,
    TestSettingsView,
    TriggerBody,
    UpdateTestCaseBody,
)
from parley.testing.service import TestRunService
from parley.testing.views import run_view, settings_view

router = APIRouter(tags=["Test suite"], route_class=make_route_class())
CASES = "/v1/agents/{agentId}/branches/{branchId}/test-cases"
RUNS = "/v1/agents/{agentId}/testing/test-runs"
RunStatus = Literal["pending", "in_progress", "passed", "failed", "errored", "timed_out"]


@router.get(CASES, response_model=TestCasesResponse)
async def list_test_cases(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> TestCasesResponse:
    """The branch's test cases, oldest first."""
    cases = await TestCaseService(session).list(principal, agentId, branchId)
    return TestCasesResponse.model_validate({"testCases": cases})


@router.post(CASES, response_model=TestCaseView, status_code=status.HTTP_201_CREATED)
async def create_test_case(
    agentId: str, branchId: str, body: CreateTestCaseBody, principal: PrincipalDep, session: SessionDep
) -> TestCaseView:
    """Create a test case."""
    created = await TestCaseService(session).create(principal, agentId, branchId, body)
    return TestCaseView.model_validate(created)


@router.get(CASES + "/{testCaseId}", response_model=TestCaseView)
async def get_test_case(
    agentId: str, branchId: str, testCaseId: str, principal: PrincipalDep, session: SessionDep
) -> TestCaseView:
    """Get one test case."""
    found = await TestCaseService(session).get(principal, agentId, branchId, testCaseId)
    return TestCaseView.model_validate(found)


@router.patch(CASES + "/{testCaseId}", response_model=TestCaseView)
async def update_test_case(
    agentId: str,
    branchId: str,
    testCaseId: str,
    body: UpdateTestCaseBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> TestCaseView:
    """Change a test case; fields left out stay as they are, null clears an optional one."""
    updated = await TestCaseService(session).update(principal, agentId, branchId, testCaseId, body)
    return TestCaseView.model_validate(updated)


@router.delete(CASES + "/{testCaseId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_test_case(
    agentId: str, branchId: str, testCaseId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete a test case."""
    await TestCaseService(session).delete(principal, agentId, branchId, testCaseId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(RUNS + "/trigger", response_model=TestRunView, status_code=status.HTTP_202_ACCEPTED)
async def trigger_test_run(
    agentId: str,
    principal: PrincipalDep,
    session: SessionDep,
    starter: RunStarterDep,
    body: TriggerBody | None = None,
) -> TestRunView:
    """Start a run in the background (202): poll GET test-runs/{id} until it is no longer pending
    or in_progress."""
    run = await TestRunService(session).trigger(principal, agentId, body or TriggerBody())
    starter.start([run.id])
    return run_view(run)


@router.get(RUNS, response_model=TestRunsResponse)
async def list_test_runs(
    agentId: str,
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    branchId: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[RunStatus | None, Query()] = None,
) -> TestRunsResponse:
    """The agent's runs, newest first, without per-case results."""
    runs = await TestRunService(session).list(principal, agentId, limit, offset, branchId, status)
    return TestRunsResponse(test_runs=[run_view(r) for r in runs])


@router.get(RUNS + "/{testRunId}", response_model=TestRunView)
async def get_test_run(
    agentId: str, testRunId: str, principal: PrincipalDep, session: SessionDep
) -> TestRunView:
    """One run with its per-case results and transcripts."""
    run, results = await TestRunService(session).get(principal, agentId, testRunId)
    return run_view(run, results)


@router.get("/v1/agents/{agentId}/testing/settings", response_model=TestSettingsView)
async def get_test_settings(agentId: str, principal: PrincipalDep, session: SessionDep) -> TestSettingsView:
    """Whether deployments start runs, and whether a failed pre-release run blocks live."""
    return settings_view(await TestRunService(session).settings(principal, agentId))


@router.patch("/v1/agents/{agentId}/testing/settings", response_model=TestSettingsView)
async def update_test_settings(
    agentId: str, body: TestSettingsBody, principal: PrincipalDep, session: SessionDep
) -> TestSettingsView:
    """Change the agent's test settings; fields left out stay as they are."""
    return settings_view(await TestRunService(session).update_settings(principal, agentId, body))

"""Triggering, listing and reading test runs, and the agent's test settings."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.service import MAIN_BRANCH, AgentService
from parley.auth.principal import Principal
from parley.branches.repository import BranchRepository
from parley.branches.scope import public_branch_id
from parley.branches.store import ResourceStore
from parley.chat.runtime import DRAFT
from parley.deployments.repository import DeploymentRepository
from parley.errors import (
    BranchNotFound,
    ChatDraftNotExist,
    MissingTestCasesHttp,
    NoTestCasesHttp,
    TestRunNotFound,
)
from parley.kit.uuid7 import uuid7
from parley.models import Agent, TestResult, TestRun, TestSettings, User
from parley.testing.cases import DEFAULTS, TEST_CASES
from parley.testing.repository import TestRunRepository
from parley.testing.schemas import TestSettingsBody, TriggerBody

MAX_LIST = 1000


async def creator(session: AsyncSession, principal: Principal) -> str:
    if principal.user_id is None:
        return "operator"
    user = await session.get(User, principal.user_id)
    return user.email if user else principal.user_id


def new_run(agent: Agent, cases: list[dict[str, Any]], **fields: Any) -> TestRun:
    return TestRun(
        id=uuid7(),
        agent_id=agent.id,
        account_id=agent.account_id,
        status="pending",
        test_cases=[{**DEFAULTS, **case} for case in cases],
        test_case_count=len(cases),
        passed_count=0,
        failed_count=0,
        error_count=0,
        timed_out_count=0,
        attempts=0,
        **fields,
    )


class TestRunService:
    __test__ = False

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = TestRunRepository(session)

    async def _agent(self, principal: Principal, agent_id: str, *, write: bool) -> Agent:
        agent = await AgentService(self.session).accessible(principal, agent_id)
        principal.require_role("editor" if write else "viewer")
        return agent

    async def trigger(self, principal: Principal, agent_id: str, body: TriggerBody) -> TestRun:
        agent = await self._agent(principal, agent_id, write=True)
        branch_ref = body.branch_id or MAIN_BRANCH
        branch = await BranchRepository(self.session).by_ref(agent.id, branch_ref)
        if branch is None:
            raise BranchNotFound(f"Branch '{branch_ref[:100]}' does not exist in agent '{agent.id}'.")
        cases = [row.data for row in await ResourceStore(self.session, branch.id, TEST_CASES).list()]
        if not cases:
            raise NoTestCasesHttp(
                f"Branch '{public_branch_id(branch)}' of agent '{agent.id}' has no test cases."
            )
        if body.test_case_ids is not None:
            by_id = {str(case["id"]): case for case in cases}
            wanted = list(dict.fromkeys(body.test_case_ids))
            missing = [case_id for case_id in wanted if case_id not in by_id]
            if missing:
                raise MissingTestCasesHttp(
                    f"{len(missing)} test case id(s) do not exist in branch '{public_branch_id(branch)}'.",
                    data={"missingIds": missing},
                )
            cases = [by_id[case_id] for case_id in wanted]
        environment, deployment_id, version = DRAFT, None, None
        if body.environment is not None:
            active = await DeploymentRepository(self.session, agent.id).active(body.environment)
            if active is None:
                raise ChatDraftNotExist(f"Nothing is deployed to {body.environment} for this agent.")
            environment, deployment_id, version = body.environment, active.id, active.version
        run = new_run(
            agent,
            cases,
            branch_id=public_branch_id(branch),
            environment=environment,
            deployment_id=deployment_id,
            version=version,
            trigger="manual",
            created_by=await creator(self.session, principal),
        )
        await self.repo.add(run)
        return run

    async def list(
        self,
        principal: Principal,
        agent_id: str,
        limit: int,
        offset: int,
        branch_id: str | None,
        status: str | None,
    ) -> list[TestRun]:
        agent = await self._agent(principal, agent_id, write=False)
        return list(await self.repo.list(agent.id, min(limit, MAX_LIST), offset, branch_id, status))

    async def get(
        self, principal: Principal, agent_id: str, run_id: str
    ) -> tuple[TestRun, builtins.list[TestResult]]:
        agent = await self._agent(principal, agent_id, write=False)
        run = await self.repo.get(agent.id, run_id)
        if run is None:
            raise TestRunNotFound(f"Test run '{run_id[:100]}' does not exist.")
        return run, list(await self.repo.results(run.id))

    async def settings(self, principal: Principal, agent_id: str) -> TestSettings:
        agent = await self._agent(principal, agent_id, write=False)
        found = await self.repo.settings(agent.id)
        return found or TestSettings(agent_id=agent.id, run_on_deploy=False, block_live_on_failure=False)

    async def update_settings(
        self, principal: Principal, agent_id: str, body: TestSettingsBody
    ) -> TestSettings:
        agent = await self._agent(principal, agent_id, write=True)
        found = await self.repo.settings(agent.id)
        if found is None:
            found = TestSettings(agent_id=agent.id, run_on_deploy=False, block_live_on_failure=False)
            await self.repo.add_settings(found)
        if body.run_on_deploy is not None:
            found.run_on_deploy = body.run_on_deploy
        if body.block_live_on_failure is not None:
            found.block_live_on_failure = body.block_live_on_failure
        await self.session.flush()
        return found

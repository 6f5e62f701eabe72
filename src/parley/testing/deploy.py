"""What deployments ask of the test suite: start runs on deploy, and gate live on pre-release."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.service import MAIN_BRANCH
from parley.auth.principal import Principal
from parley.deployments.environments import PRE_RELEASE
from parley.deployments.repository import DeploymentRepository
from parley.errors import PreconditionFailed
from parley.models import Agent, Deployment
from parley.testing.repository import ACTIVE, TestRunRepository
from parley.testing.service import creator, new_run


async def runs_for_deployment(
    session: AsyncSession, principal: Principal, agent: Agent, deployment: Deployment, trigger: str
) -> list[str]:
    """With the agent's runOnDeploy on, one pending run of the deployed version's test cases.

    The cases come from the deployed artifact, not from main as it may be by the time a promote
    happens: a version is tested with the tests it shipped with.
    """
    repo = TestRunRepository(session)
    settings = await repo.settings(agent.id)
    if settings is None or not settings.run_on_deploy:
        return []
    artifact = await DeploymentRepository(session, agent.id).artifact(deployment.version)
    cases = list((artifact.content if artifact else {}).get("testCases") or [])
    if not cases:
        return []
    run = new_run(
        agent,
        cases,
        branch_id=MAIN_BRANCH,
        environment=deployment.environment,
        deployment_id=deployment.id,
        version=deployment.version,
        trigger=trigger,
        created_by=await creator(session, principal),
    )
    await repo.add(run)
    return [run.id]


async def require_passed_pre_release(session: AsyncSession, agent_id: str, version: str) -> None:
    """With blockLiveOnFailure on, live needs the version's latest pre-release run to have passed.

    A version never tested in pre-release is not blocked: the gate judges runs, it does not
    demand them (ErrPreReleaseNotReady already demands the pre-release deployment itself).
    """
    repo = TestRunRepository(session)
    settings = await repo.settings(agent_id)
    if settings is None or not settings.block_live_on_failure:
        return
    run = await repo.latest(agent_id, PRE_RELEASE, version)
    if run is None or run.status == "passed":
        return
    if run.status in ACTIVE:
        raise PreconditionFailed(
            f"The pre-release test run '{run.id}' of this version is still {run.status}: "
            "promote to live once it has passed.",
            data={"testRunId": run.id, "status": run.status, "failedCases": []},
        )
    failing = [
        {"testCaseId": r.test_case_id, "name": r.name, "status": r.status, "reason": r.reason[:500]}
        for r in await repo.results(run.id)
        if r.status != "passed"
    ]
    raise PreconditionFailed(
        f"The last pre-release test run '{run.id}' of this version {run.status} "
        f"({len(failing)} case(s) did not pass), so it cannot go live; fix the cases or turn off "
        "blockLiveOnFailure.",
        data={"testRunId": run.id, "status": run.status, "failedCases": failing, "error": run.error},
    )

"""Publish, promote, rollback: the sandbox -> pre-release -> live lifecycle of immutable versions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.service import MAIN_BRANCH, AgentService
from parley.auth.principal import Principal
from parley.branches.repository import BranchRepository, lock_agent
from parley.deployments.compiler import compile_branch
from parley.deployments.environments import ENVIRONMENTS, LIVE, PRE_RELEASE, SANDBOX, next_stage, stage
from parley.deployments.repository import DeploymentRepository
from parley.errors import (
    DeploymentNotFound,
    DeploymentsAlreadyPublished,
    DeploymentsEnvironmentAlreadyPublished,
    DeploymentsInvalidEnvironment,
    DeploymentsValidationFailed,
    ErrPreReleaseNotReady,
    FunctionsDeploymentHasErrors,
)
from parley.kit.uuid7 import uuid7
from parley.models import ActiveDeployment, Agent, Artifact, Deployment, User
from parley.testing.deploy import require_passed_pre_release, runs_for_deployment

MAX_HISTORY = 1000


@dataclass(frozen=True)
class Outcome:
    deployment: Deployment
    notice: DeploymentsEnvironmentAlreadyPublished | None = None
    test_run_ids: list[str] = field(default_factory=list)


def checked_environment(environment: str | None) -> str:
    if environment not in ENVIRONMENTS:
        shown = "missing" if environment is None else f"'{environment[:100]}'"
        raise DeploymentsInvalidEnvironment(
            f"Environment is {shown}: use one of {', '.join(ENVIRONMENTS)}.",
            data={"allowed": list(ENVIRONMENTS)},
        )
    return environment


class DeploymentService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _agent(self, principal: Principal, agent_id: str, *, write: bool) -> Agent:
        agent = await AgentService(self.session).accessible(principal, agent_id)
        principal.require_role("editor" if write else "viewer")
        if write:
            # Every lifecycle change of one agent runs alone: "one active per environment" and
            # "already published" are decided on a state no concurrent request can change.
            await lock_agent(self.session, agent.id)
        return agent

    async def publish(
        self, principal: Principal, agent_id: str, environment: str | None, message: str
    ) -> Outcome:
        target = checked_environment(SANDBOX if environment is None else environment)
        agent = await self._agent(principal, agent_id, write=True)
        repo = DeploymentRepository(self.session, agent.id)
        artifact = await self.compile_main(agent)
        active = await repo.active(target)
        if active is not None and active.version == artifact.version:
            raise DeploymentsAlreadyPublished(
                f"The {target} environment already runs this version of main.",
                data={"deploymentId": active.id, "version": artifact.version},
            )
        if target == LIVE and not await repo.ever_deployed(PRE_RELEASE, artifact.version):
            raise _not_in_pre_release(artifact.version)
        if target == LIVE:
            await require_passed_pre_release(self.session, agent.id, artifact.version)
        deployment = await self._deploy(principal, agent, target, artifact, {"deployment_message": message})
        runs = await runs_for_deployment(self.session, principal, agent, deployment, "publish")
        return Outcome(deployment, test_run_ids=runs)

    async def publish_after_merge(self, principal: Principal, agent: Agent, message: str) -> Outcome | None:
        """A clean merge publishes main to sandbox, as PolyAI does; a no-op if sandbox has it."""
        await lock_agent(self.session, agent.id)
        artifact = await self.compile_main(agent)
        active = await DeploymentRepository(self.session, agent.id).active(SANDBOX)
        if active is not None and active.version == artifact.version:
            return None
        metadata = {"deployment_message": message, "source": "merge"}
        deployment = await self._deploy(principal, agent, SANDBOX, artifact, metadata)
        runs = await runs_for_deployment(self.session, principal, agent, deployment, "merge")
        return Outcome(deployment, test_run_ids=runs)

    async def promote(
        self, principal: Principal, agent_id: str, deployment_id: str, target: str | None, message: str
    ) -> Outcome:
        agent = await self._agent(principal, agent_id, write=True)
        repo = DeploymentRepository(self.session, agent.id)
        source = await self._deployment(repo, deployment_id)
        target = target or next_stage(source.environment)
        if target is None or stage(target) <= stage(source.environment):
            raise DeploymentsValidationFailed(
                f"A {source.environment} deployment can only be promoted to a later environment.",
                data={"sourceEnvironment": source.environment, "targetEnvironment": target},
            )
        if target == LIVE and not await repo.ever_deployed(PRE_RELEASE, source.version):
            raise _not_in_pre_release(source.version)
        if target == LIVE:
            await require_passed_pre_release(self.session, agent.id, source.version)
        active = await repo.active(target)
        if active is not None and active.version == source.version:
            return Outcome(
                active, DeploymentsEnvironmentAlreadyPublished(f"{target} already runs this version.")
            )
        artifact = await repo.artifact(source.version)
        assert artifact is not None, "a deployment always has its artifact"
        metadata = {"deployment_message": message, "promotedFrom": source.id}
        deployment = await self._deploy(principal, agent, target, artifact, metadata)
        runs = await runs_for_deployment(self.session, principal, agent, deployment, "promote")
        return Outcome(deployment, test_run_ids=runs)

    async def rollback(
        self, principal: Principal, agent_id: str, deployment_id: str, message: str
    ) -> Outcome:
        agent = await self._agent(principal, agent_id, write=True)
        repo = DeploymentRepository(self.session, agent.id)
        earlier = await self._deployment(repo, deployment_id)
        active = await repo.active(earlier.environment)
        if active is not None and active.version == earlier.version:
            return Outcome(
                active,
                DeploymentsEnvironmentAlreadyPublished(f"{earlier.environment} already runs this version."),
            )
        artifact = await repo.artifact(earlier.version)
        assert artifact is not None, "a deployment always has its artifact"
        metadata = {
            "deployment_message": message,
            "rolledBackFrom": active.id if active else None,
            "rolledBackTo": earlier.id,
        }
        return Outcome(await self._deploy(principal, agent, earlier.environment, artifact, metadata))

    async def history(
        self, principal: Principal, agent_id: str, environment: str | None, limit: int
    ) -> list[Deployment]:
        target = checked_environment(environment)
        agent = await self._agent(principal, agent_id, write=False)
        return list(await DeploymentRepository(self.session, agent.id).history(target, limit))

    async def active(self, principal: Principal, agent_id: str) -> dict[str, Deployment | None]:
        agent = await self._agent(principal, agent_id, write=False)
        found = {d.environment: d for d in await DeploymentRepository(self.session, agent.id).all_active()}
        return {environment: found.get(environment) for environment in ENVIRONMENTS}

    async def compile_main(self, agent: Agent) -> Artifact:
        """Compile main and store its artifact (once per distinct content), or 400 with every error."""
        main = await BranchRepository(self.session).by_ref(agent.id, MAIN_BRANCH)
        assert main is not None, "every agent has a main branch"
        compiled = await compile_branch(self.session, agent, main)
        if not compiled.ok:
            raise FunctionsDeploymentHasErrors(
                f"main has {len(compiled.errors)} error(s) that prevent deployment.",
                data={"errors": [e.as_dict() for e in compiled.errors]},
            )
        repo = DeploymentRepository(self.session, agent.id)
        artifact = await repo.artifact(compiled.version)
        if artifact is None:
            artifact = Artifact(
                agent_id=agent.id,
                version=compiled.version,
                number=await repo.next_artifact_number(),
                content=compiled.content,
            )
            await repo.add(artifact)
        return artifact

    async def _deploy(
        self,
        principal: Principal,
        agent: Agent,
        environment: str,
        artifact: Artifact,
        metadata: Mapping[str, object],
    ) -> Deployment:
        repo = DeploymentRepository(self.session, agent.id)
        deployment = Deployment(
            id=uuid7(),
            agent_id=agent.id,
            account_id=agent.account_id,
            environment=environment,
            version=artifact.version,
            artifact_number=artifact.number,
            created_by=await self._creator(principal),
            meta=dict(metadata),
        )
        await repo.add(deployment)
        active = await repo.active_row(environment)
        if active is None:
            await repo.add(
                ActiveDeployment(agent_id=agent.id, environment=environment, deployment_id=deployment.id)
            )
        else:
            active.deployment_id = deployment.id
            await self.session.flush()
        return deployment

    async def _deployment(self, repo: DeploymentRepository, deployment_id: str) -> Deployment:
        deployment = await repo.deployment(deployment_id)
        if deployment is None:
            raise DeploymentNotFound(f"Deployment '{deployment_id[:100]}' does not exist.")
        return deployment

    async def _creator(self, principal: Principal) -> str:
        if principal.user_id is None:
            return "operator"
        user = await self.session.get(User, principal.user_id)
        return user.email if user else principal.user_id


def _not_in_pre_release(version: str) -> ErrPreReleaseNotReady:
    return ErrPreReleaseNotReady(
        "This version has not run in pre-release yet: deploy it to pre-release before live.",
        data={"version": version},
    )

"""Every SQL statement about artifacts and deployments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.kit.prepared import Prepared
from parley.models import ActiveDeployment, Artifact, Deployment

_DEPLOYMENTS: Table = Deployment.__table__  # type: ignore[assignment]
_ACTIVE: Table = ActiveDeployment.__table__  # type: ignore[assignment]

# Every conversation start asks this: prepared once (kit/prepared.py), two columns.
_ACTIVE_VERSION = Prepared(
    select(_DEPLOYMENTS.c.id, _DEPLOYMENTS.c.version)
    .join(_ACTIVE, _ACTIVE.c.deployment_id == _DEPLOYMENTS.c.id)
    .where(_ACTIVE.c.agent_id == bindparam("agent_id"), _ACTIVE.c.environment == bindparam("environment"))
)
_ACTIVE_DEPLOYMENT = (
    select(Deployment)
    .join(ActiveDeployment, ActiveDeployment.deployment_id == Deployment.id)
    .where(
        ActiveDeployment.agent_id == bindparam("agent_id"),
        ActiveDeployment.environment == bindparam("environment"),
    )
)


@dataclass(frozen=True, slots=True)
class DeployedVersion:
    """The active deployment of an environment, as far as a conversation start needs it."""

    id: str
    version: str


class DeploymentRepository:
    def __init__(self, session: AsyncSession, agent_id: str) -> None:
        self.session = session
        self.agent_id = agent_id

    async def artifact(self, version: str) -> Artifact | None:
        return await self.session.get(Artifact, (self.agent_id, version))

    async def next_artifact_number(self) -> int:
        highest = await self.session.scalar(
            select(func.max(Artifact.number)).where(Artifact.agent_id == self.agent_id)
        )
        return int(highest or 0) + 1

    async def add(self, obj: Artifact | Deployment | ActiveDeployment) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def deployment(self, deployment_id: str) -> Deployment | None:
        stmt = select(Deployment).where(Deployment.agent_id == self.agent_id, Deployment.id == deployment_id)
        return await self.session.scalar(stmt)

    async def history(self, environment: str, limit: int) -> Sequence[Deployment]:
        stmt = (
            select(Deployment)
            .where(Deployment.agent_id == self.agent_id, Deployment.environment == environment)
            .order_by(Deployment.created_at.desc(), Deployment.id.desc())
            .limit(limit)
        )
        return (await self.session.scalars(stmt)).all()

    async def ever_deployed(self, environment: str, version: str) -> bool:
        stmt = select(Deployment.id).where(
            Deployment.agent_id == self.agent_id,
            Deployment.environment == environment,
            Deployment.version == version,
        )
        return (await self.session.scalar(stmt.limit(1))) is not None

    async def active_row(self, environment: str) -> ActiveDeployment | None:
        return await self.session.get(ActiveDeployment, (self.agent_id, environment))

    async def active_version(self, environment: str) -> DeployedVersion | None:
        """Which deployment, of which artifact version, is active in ``environment``."""
        row = await _ACTIVE_VERSION.first(
            self.session, {"agent_id": self.agent_id, "environment": environment}
        )
        return None if row is None else DeployedVersion(row["id"], row["version"])

    async def active(self, environment: str) -> Deployment | None:
        return await self.session.scalar(
            _ACTIVE_DEPLOYMENT, {"agent_id": self.agent_id, "environment": environment}
        )

    async def all_active(self) -> Sequence[Deployment]:
        stmt = (
            select(Deployment)
            .join(ActiveDeployment, ActiveDeployment.deployment_id == Deployment.id)
            .where(ActiveDeployment.agent_id == self.agent_id)
        )
        return (await self.session.scalars(stmt)).all()

"""Loading deployed artifacts for the runtime: by version, cached, never re-read.

Artifacts are immutable (named by their content hash), so a cache entry can never go stale;
only which version is active changes, and that is read per conversation start.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.deployments.repository import DeployedVersion, DeploymentRepository


class ArtifactCache:
    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()

    async def load(self, session: AsyncSession, agent_id: str, version: str) -> dict[str, Any] | None:
        key = (agent_id, version)
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        artifact = await DeploymentRepository(session, agent_id).artifact(version)
        if artifact is None:
            return None
        self._entries[key] = artifact.content
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return artifact.content

    async def active(
        self, session: AsyncSession, agent_id: str, environment: str
    ) -> tuple[DeployedVersion, dict[str, Any]] | None:
        deployment = await DeploymentRepository(session, agent_id).active_version(environment)
        if deployment is None:
            return None
        content = await self.load(session, agent_id, deployment.version)
        return None if content is None else (deployment, content)

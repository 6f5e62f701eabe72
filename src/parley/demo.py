"""Loading example agents (examples/<name>/project.json + agent.json) into a fresh server.

Each example is created in the `default` account, imported into a branch, merged (which deploys
it to sandbox) and promoted to pre-release and live, so a new user can chat with it at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.service import DEFAULT_ACCOUNT_ID
from parley.agents.schemas import CreateAgentBody
from parley.agents.service import AgentService
from parley.auth.principal import Principal
from parley.branches.service import BranchService
from parley.deployments.environments import ENVIRONMENTS, LIVE, PRE_RELEASE, SANDBOX
from parley.deployments.repository import DeploymentRepository
from parley.deployments.service import DeploymentService
from parley.realtime.service import RealTimeConfigService
from parley.transfer.document import AgentDocument
from parley.transfer.importer import BranchImporter

OPERATOR = Principal(key_id="demo-loader", account_id=None, user_id=None, role="operator", agent_ids=None)


def example_folders(examples_dir: Path) -> list[Path]:
    if not examples_dir.is_dir():
        return []
    return sorted(
        p for p in examples_dir.iterdir() if (p / "project.json").is_file() and (p / "agent.json").is_file()
    )


async def load_example(session: AsyncSession, folder: Path, account_id: str = DEFAULT_ACCOUNT_ID) -> str:
    """Create, import, merge and deploy one example; returns its agent id."""
    project: dict[str, Any] = json.loads((folder / "project.json").read_text())
    document = AgentDocument.model_validate(json.loads((folder / "agent.json").read_text()))
    agent = await AgentService(session).create(
        OPERATOR, account_id, CreateAgentBody.model_validate(project["agent"])
    )
    agent_id = agent.agent_id
    rtc = project.get("realTimeConfig")
    if rtc:
        configs = RealTimeConfigService(session)
        for environment in ENVIRONMENTS:
            await configs.put_schema(OPERATOR, agent_id, environment, rtc["schema"])
            await configs.patch_variables(OPERATOR, agent_id, environment, rtc["variables"])
    branches = BranchService(session)
    branch = await branches.create(OPERATOR, agent_id, "import")
    await BranchImporter(session, OPERATOR, agent_id, branch.id).run(document)
    await branches.merge(OPERATOR, agent_id, branch.id, [], "Example agent")
    sandbox = await DeploymentRepository(session, agent_id).active(SANDBOX)
    assert sandbox is not None, "a merge deploys to sandbox"
    deployments = DeploymentService(session)
    pre_release = await deployments.promote(OPERATOR, agent_id, sandbox.id, PRE_RELEASE, "Example agent")
    await deployments.promote(OPERATOR, agent_id, pre_release.deployment.id, LIVE, "Example agent")
    return agent_id

"""The one gate of every telephony endpoint: the agent, then the role."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.service import AGENT_ID_PATTERN, AgentService
from parley.auth.principal import Principal
from parley.errors import ProjectNotFound
from parley.models import Agent


async def telephony_agent(
    session: AsyncSession, principal: Principal, agent_id: str, *, write: bool
) -> Agent:
    """Other tenants' agents look absent (404); viewers read, editors write, externals neither."""
    # An id that cannot exist never reaches the database (PostgreSQL refuses NUL bytes in text).
    if not AGENT_ID_PATTERN.fullmatch(agent_id):
        raise ProjectNotFound(f"Agent '{agent_id[:64]}' does not exist.")
    agent = await AgentService(session).accessible(principal, agent_id)
    principal.require_role("editor" if write else "viewer")
    return agent

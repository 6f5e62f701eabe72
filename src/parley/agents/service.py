"""Agents (projects): ids, creation, duplication, deletion, and access checks for every slice."""

from __future__ import annotations

import re
import secrets
import string
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.repository import AgentRef, AgentRepository
from parley.agents.schemas import AgentSummary, CreateAgentBody, DuplicateAgentBody
from parley.auth.principal import Principal
from parley.branches.repository import BranchRepository
from parley.errors import AccountNotFound, ProjectIdAlreadyExists, ProjectIdInvalid, ProjectNotFound
from parley.kit.ids import new_id
from parley.models import Account, Agent, Branch

AGENT_ID_PATTERN = re.compile(r"^[a-zA-Z0-9-]{1,64}$")
MAIN_BRANCH = "main"
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


def generated_agent_id(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48].strip("-") or "agent"
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(6))
    return f"{slug}-{suffix}"


def _checked_agent_id(agent_id: str | None, name: str) -> str:
    if agent_id is None:
        return generated_agent_id(name)
    if not AGENT_ID_PATTERN.fullmatch(agent_id):
        raise ProjectIdInvalid(
            "Agent ID must be 1-64 characters from letters, digits and '-'.",
            data={"agentId": agent_id[:100]},
        )
    return agent_id


AgentT = TypeVar("AgentT", Agent, AgentRef)


def _check_agent_id(agent_id: str) -> None:
    if not AGENT_ID_PATTERN.fullmatch(agent_id):
        raise ProjectNotFound(f"Agent '{agent_id[:100]}' does not exist.")


def _accessible(principal: Principal, agent_id: str, agent: AgentT | None) -> AgentT:
    if agent is None or (not principal.is_operator and agent.account_id != principal.account_id):
        raise ProjectNotFound(f"Agent '{agent_id}' does not exist.")
    principal.require_agent(agent_id)
    return agent


class AgentService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = AgentRepository(session)

    async def accessible(self, principal: Principal, agent_id: str) -> Agent:
        """The agent, if it exists in the caller's account and the key may touch it."""
        _check_agent_id(agent_id)
        return _accessible(principal, agent_id, await self.repo.get(agent_id))

    async def accessible_ref(self, principal: Principal, agent_id: str) -> AgentRef:
        """``accessible`` for callers that need only the agent's identity (the runtime's turns)."""
        _check_agent_id(agent_id)
        return _accessible(principal, agent_id, await self.repo.reference(agent_id))

    async def list_agents(self, principal: Principal, account_id: str) -> list[AgentSummary]:
        principal.require_account(account_id)
        await self._require_account_exists(account_id)
        agents = [a for a in await self.repo.in_account(account_id) if principal.can_see_agent(a.id)]
        return await self._summaries(agents)

    async def create(self, principal: Principal, account_id: str, body: CreateAgentBody) -> AgentSummary:
        principal.require_account(account_id)
        principal.require_account_admin()
        await self._require_account_exists(account_id)
        agent = Agent(
            id=_checked_agent_id(body.agent_id, body.name),
            account_id=account_id,
            name=body.name,
            response_settings=body.response_settings.model_dump(by_alias=True),
            voice_settings=body.voice_settings.model_dump(by_alias=True) if body.voice_settings else None,
            llm_settings=body.llm_settings.model_dump(by_alias=True) if body.llm_settings else None,
            experimental_config=(
                body.experimental_config.model_dump(by_alias=True) if body.experimental_config else None
            ),
        )
        await self._insert(agent)
        return (await self._summaries([agent]))[0]

    async def duplicate(self, principal: Principal, agent_id: str, body: DuplicateAgentBody) -> AgentSummary:
        principal.require_account_admin()
        source = await self.accessible(principal, agent_id)
        copy = Agent(
            id=_checked_agent_id(body.new_agent_id, body.new_agent_name),
            account_id=source.account_id,
            name=body.new_agent_name,
            response_settings=dict(source.response_settings),
            voice_settings=source.voice_settings,
            llm_settings=source.llm_settings,
            experimental_config=source.experimental_config,
        )
        new_main = await self._insert(copy)
        source_main = await BranchRepository(self.session).by_ref(source.id, MAIN_BRANCH)
        assert source_main is not None, "every agent has a main branch"
        await BranchRepository(self.session).copy_resources(source_main.id, new_main.id, also_base=False)
        return (await self._summaries([copy]))[0]

    async def delete(self, principal: Principal, agent_id: str) -> None:
        principal.require_account_admin()
        agent = await self.accessible(principal, agent_id)
        await self.repo.delete(agent.id)

    async def _insert(self, agent: Agent) -> Branch:
        """Insert the agent with its main branch; returns main."""
        if await self.repo.exists(agent.id):
            raise ProjectIdAlreadyExists(f"Agent ID '{agent.id}' is already taken.")
        main = Branch(id=new_id("BRANCH", 8), agent_id=agent.id, name=MAIN_BRANCH)
        try:
            await self.repo.add(agent, main)
        except IntegrityError:
            raise ProjectIdAlreadyExists(f"Agent ID '{agent.id}' is already taken.") from None
        return main

    async def _require_account_exists(self, account_id: str) -> None:
        if await self.session.get(Account, account_id) is None:
            raise AccountNotFound(f"Account '{account_id}' does not exist.")

    async def _summaries(self, agents: list[Agent]) -> list[AgentSummary]:
        counts = await self.repo.branch_counts([a.id for a in agents])
        return [
            AgentSummary(
                account_id=a.account_id,
                agent_id=a.id,
                agent_name=a.name,
                created_at=a.created_at,
                updated_at=a.updated_at,
                branch_count=counts.get(a.id, 0),
            )
            for a in agents
        ]

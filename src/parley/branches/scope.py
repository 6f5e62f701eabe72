"""Resolving `/v1/agents/{agentId}/branches/{branchId}` into a checked scope for any service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.service import MAIN_BRANCH, AgentService
from parley.auth.principal import Principal
from parley.branches.repository import BranchRepository
from parley.errors import BranchMainReadOnly, BranchNotFound
from parley.models import Agent, Branch


@dataclass(frozen=True)
class BranchScope:
    principal: Principal
    agent: Agent
    branch: Branch

    @property
    def is_main(self) -> bool:
        return self.branch.name == MAIN_BRANCH


async def resolve_branch(
    session: AsyncSession, principal: Principal, agent_id: str, branch_ref: str, *, write: bool
) -> BranchScope:
    """Agent access, then role, then branch existence, then main's read-only rule, in that order."""
    agent = await AgentService(session).accessible(principal, agent_id)
    principal.require_role("editor" if write else "viewer")
    branch = await BranchRepository(session).by_ref(agent.id, branch_ref)
    if branch is None:
        raise BranchNotFound(f"Branch '{branch_ref}' does not exist in agent '{agent.id}'.")
    if write and branch.name == MAIN_BRANCH:
        raise BranchMainReadOnly(
            "Cannot directly update main branch: create a branch, edit it, and merge it into main."
        )
    return BranchScope(principal=principal, agent=agent, branch=branch)


def public_branch_id(branch: Branch) -> str:
    return MAIN_BRANCH if branch.name == MAIN_BRANCH else branch.id

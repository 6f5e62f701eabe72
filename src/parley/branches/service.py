"""Branches: create (a copy of main), list, delete, and merge into main."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.service import MAIN_BRANCH, AgentService
from parley.auth.principal import Principal
from parley.branches.merge import Doc, Key, Resolution, three_way_merge
from parley.branches.names import name_key_for
from parley.branches.repository import BranchRepository, ResourceRepository, lock_agent
from parley.branches.schemas import ConflictResolution
from parley.branches.scope import BranchScope, resolve_branch
from parley.deployments.service import DeploymentService
from parley.errors import BranchMainReadOnly, BranchMergeConflict, BranchNameAlreadyExists
from parley.kit.db import utcnow
from parley.kit.ids import new_id
from parley.models import Branch, BranchBaseResource, BranchResource


def _docs(rows: list[BranchResource] | list[BranchBaseResource]) -> dict[Key, Doc]:
    return {(r.kind, r.resource_id): Doc(r.parent_id, dict(r.data)) for r in rows}


@dataclass(frozen=True)
class MergeOutcome:
    sequence: int
    main: Branch
    test_run_ids: list[str] = field(default_factory=list)


class BranchService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = BranchRepository(session)

    async def list_branches(self, principal: Principal, agent_id: str) -> list[Branch]:
        agent = await AgentService(self.session).accessible(principal, agent_id)
        principal.require_role("viewer")
        return list(await self.repo.branches(agent.id))

    async def create(self, principal: Principal, agent_id: str, name: str) -> Branch:
        agent = await AgentService(self.session).accessible(principal, agent_id)
        principal.require_role("editor")
        name = name.strip()
        if await self.repo.by_name(agent.id, name) is not None:
            raise BranchNameAlreadyExists(f"A branch named '{name}' already exists.")
        main = await self.repo.by_ref(agent.id, MAIN_BRANCH)
        assert main is not None, "every agent has a main branch"
        sequence = await self.repo.bump_sequence(agent.id)
        branch = Branch(id=new_id("BRANCH", 8), agent_id=agent.id, name=name, sequence=sequence)
        try:
            await self.repo.add(branch)
        except IntegrityError:
            raise BranchNameAlreadyExists(f"A branch named '{name}' already exists.") from None
        await self.repo.copy_resources(main.id, branch.id, also_base=True)
        return branch

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str) -> int:
        scope = await self._feature_branch(principal, agent_id, branch_ref)
        await self.repo.delete(scope.branch.id)
        return await self.repo.bump_sequence(scope.agent.id)

    async def merge(
        self,
        principal: Principal,
        agent_id: str,
        branch_ref: str,
        resolutions: list[ConflictResolution],
        deployment_message: str = "",
    ) -> MergeOutcome:
        scope = await self._feature_branch(principal, agent_id, branch_ref)
        await lock_agent(self.session, scope.agent.id)
        main = await self.repo.by_ref(scope.agent.id, MAIN_BRANCH)
        assert main is not None
        ours_rows = list(await self.repo.all_resources(scope.branch.id))
        result = three_way_merge(
            base=_docs(list(await self.repo.base_resources(scope.branch.id))),
            ours=_docs(ours_rows),
            theirs=_docs(list(await self.repo.all_resources(main.id))),
            resolutions={
                tuple(r.path): Resolution(r.strategy, r.value)
                if "value" in r.model_fields_set
                else Resolution(r.strategy)
                for r in resolutions
            },
        )
        conflicts = [c.as_dict() for c in result.conflicts]
        conflicts += _name_clashes(result.merged)
        if conflicts:
            raise BranchMergeConflict(
                f"The branch has {len(conflicts)} conflict(s) with main; resolve with conflictResolutions.",
                data={"conflicts": conflicts},
            )
        created = {(r.kind, r.resource_id): r.created_at for r in ours_rows}
        await self._write_main(main, result.merged, created)
        # Compiles main first: a merge that would not deploy fails whole (9004), main untouched.
        published = await DeploymentService(self.session).publish_after_merge(
            principal, scope.agent, deployment_message
        )
        await self.repo.delete(scope.branch.id)
        sequence = await self.repo.bump_sequence(scope.agent.id)
        return MergeOutcome(
            sequence=sequence, main=main, test_run_ids=published.test_run_ids if published else []
        )

    async def _write_main(self, main: Branch, merged: dict[Key, Doc], created: dict[Key, datetime]) -> None:
        resources = ResourceRepository(self.session, main.id)
        current = {(r.kind, r.resource_id): r for r in await self.repo.all_resources(main.id)}
        for key in current:
            if key not in merged:
                await resources.delete(*key)
        changed: list[tuple[BranchResource, Doc]] = []
        for key, doc in merged.items():
            existing = current.get(key)
            if existing is None:
                continue
            row = existing
            if row.data != doc.data or row.parent_id != doc.parent_id:
                # Park the name first so that two resources swapping names never collide midway.
                row.name_key = f"~{row.resource_id}"
                changed.append((row, doc))
        await resources.flush()
        now = utcnow()
        for row, doc in changed:
            row.data = doc.data
            row.parent_id = doc.parent_id
            row.name_key = name_key_for(doc.data, row.resource_id)
            row.updated_at = now
        for key, doc in merged.items():
            if key not in current:
                self.session.add(
                    BranchResource(
                        branch_id=main.id,
                        kind=key[0],
                        resource_id=key[1],
                        parent_id=doc.parent_id,
                        name_key=name_key_for(doc.data, key[1]),
                        data=doc.data,
                        # Lists are ordered by creation: keep the branch's, not the merge's, time.
                        created_at=created.get(key, now),
                    )
                )
        await resources.flush()

    async def _feature_branch(self, principal: Principal, agent_id: str, branch_ref: str) -> BranchScope:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=False)
        principal.require_role("editor")
        if scope.is_main:
            raise BranchMainReadOnly("The main branch cannot be deleted or merged.")
        return scope


def _resolution(requested: ConflictResolution) -> Resolution:
    if "value" in requested.model_fields_set:
        return Resolution(requested.strategy, requested.value)
    return Resolution(requested.strategy)


def _name_clashes(merged: dict[Key, Doc]) -> list[dict[str, object]]:
    """Both sides created or renamed different resources to the same name."""
    owners: dict[tuple[str, str, str], list[str]] = {}
    for (kind, resource_id), doc in merged.items():
        owners.setdefault((kind, doc.parent_id, name_key_for(doc.data, resource_id)), []).append(resource_id)
    return [
        {"path": [kind, "name", key], "base": None, "ours": ids, "theirs": ids}
        for (kind, _parent, key), ids in sorted(owners.items())
        if len(ids) > 1
    ]

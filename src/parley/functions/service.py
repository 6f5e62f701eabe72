"""Global functions, and the start/end functions, of a branch.

A global function's document is ``{id, name, description, code, parameters}``; ``parameters``
is derived from the signature on every write, never taken from the client. The start and end
functions are documents ``{id: "start"|"end", name: "start_function"|"end_function", code}``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches import kinds
from parley.branches.scope import resolve_branch
from parley.branches.store import ResourceKind, ResourceStore
from parley.errors import FunctionNameAlreadyExists, FunctionNotFound
from parley.functions.rules import (
    SPECIAL_FUNCTIONS,
    global_parameters,
    require_special_signature,
    require_unreserved_name,
)
from parley.models import BranchResource

FUNCTIONS = ResourceKind(
    name=kinds.FUNCTION,
    id_prefix="FUNCTION",
    label="Function",
    not_found=FunctionNotFound,
    name_taken=FunctionNameAlreadyExists,
)
SPECIAL = ResourceKind(
    name=kinds.SPECIAL_FUNCTION,
    id_prefix="FUNCTION",
    label="Function",
    not_found=FunctionNotFound,
    name_taken=FunctionNameAlreadyExists,
)


def view(row: BranchResource) -> dict[str, Any]:
    """The public representation: the document plus the row's timestamps."""
    return {**row.data, "createdAt": row.created_at, "updatedAt": row.updated_at}


def special_not_set(which: str) -> FunctionNotFound:
    return FunctionNotFound(
        f"{SPECIAL_FUNCTIONS[which]} is not set in this branch.", data={"functionId": which}
    )


class FunctionService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _store(
        self, principal: Principal, agent_id: str, branch_ref: str, kind: ResourceKind, *, write: bool
    ) -> ResourceStore:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=write)
        return ResourceStore(self.session, scope.branch.id, kind)

    # --- global functions --------------------------------------------------------------------

    async def list(self, principal: Principal, agent_id: str, branch_ref: str) -> list[BranchResource]:
        store = await self._store(principal, agent_id, branch_ref, FUNCTIONS, write=False)
        return sorted(await store.list(), key=lambda row: str(row.data.get("name", "")).lower())

    async def get(
        self, principal: Principal, agent_id: str, branch_ref: str, function_id: str
    ) -> BranchResource:
        store = await self._store(principal, agent_id, branch_ref, FUNCTIONS, write=False)
        return await store.get(function_id)

    async def create(
        self, principal: Principal, agent_id: str, branch_ref: str, name: str, description: str, code: str
    ) -> BranchResource:
        store = await self._store(principal, agent_id, branch_ref, FUNCTIONS, write=True)
        require_unreserved_name(name)
        parameters = global_parameters(code, name)
        return await store.create(
            {"name": name, "description": description, "code": code, "parameters": parameters}
        )

    async def update(
        self, principal: Principal, agent_id: str, branch_ref: str, function_id: str, changes: dict[str, Any]
    ) -> BranchResource:
        store = await self._store(principal, agent_id, branch_ref, FUNCTIONS, write=True)
        row = await store.get(function_id)
        name = str(changes.get("name", row.data["name"]))
        code = str(changes.get("code", row.data["code"]))
        if "name" in changes:
            require_unreserved_name(name)
        # A rename re-checks the code too: it must define the new name.
        parameters = global_parameters(code, name)
        return await store.update(row, {**changes, "parameters": parameters})

    async def delete(self, principal: Principal, agent_id: str, branch_ref: str, function_id: str) -> None:
        store = await self._store(principal, agent_id, branch_ref, FUNCTIONS, write=True)
        await store.delete(function_id)

    # --- start_function and end_function -----------------------------------------------------

    async def get_special(
        self, principal: Principal, agent_id: str, branch_ref: str, which: str
    ) -> BranchResource:
        store = await self._store(principal, agent_id, branch_ref, SPECIAL, write=False)
        row = await store.find(which)
        if row is None:
            raise special_not_set(which)
        return row

    async def put_special(
        self, principal: Principal, agent_id: str, branch_ref: str, which: str, code: str
    ) -> BranchResource:
        store = await self._store(principal, agent_id, branch_ref, SPECIAL, write=True)
        entry = SPECIAL_FUNCTIONS[which]
        require_special_signature(code, entry)
        row = await store.find(which)
        if row is None:
            return await store.create({"name": entry, "code": code}, resource_id=which)
        return await store.update(row, {"code": code})

    async def delete_special(self, principal: Principal, agent_id: str, branch_ref: str, which: str) -> None:
        store = await self._store(principal, agent_id, branch_ref, SPECIAL, write=True)
        if await store.find(which) is None:
            raise special_not_set(which)
        await store.delete(which)

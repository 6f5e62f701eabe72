"""Global functions, start/end functions and their execution (CONTRACT.md "Global functions").

The literal `functions/start` and `functions/end` routes are registered before
`functions/{functionId}`, so they are never read as function ids.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.deps import PrincipalDep
from parley.auth.principal import Principal
from parley.errors import MethodNotAllowed
from parley.functions.execution import FunctionExecutionService
from parley.functions.rules import SPECIAL_FUNCTIONS
from parley.functions.schemas import (
    CreateFunctionBody,
    ExecuteBody,
    ExecuteResponse,
    FunctionsResponse,
    FunctionView,
    SpecialFunctionBody,
    SpecialFunctionView,
    UpdateFunctionBody,
)
from parley.functions.service import FunctionService, view
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.runtime.sandbox.pool import Sandbox

router = APIRouter(
    prefix="/v1/agents/{agentId}/branches/{branchId}/functions",
    tags=["Functions"],
    route_class=make_route_class(),
)


def get_sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]


async def _execute(
    session: AsyncSession,
    sandbox: Sandbox,
    principal: Principal,
    agent_id: str,
    branch_id: str,
    function_id: str,
    body: ExecuteBody,
) -> ExecuteResponse:
    outcome = await FunctionExecutionService(session, sandbox).execute(
        principal, agent_id, branch_id, function_id, body.args, body.state, body.context
    )
    return ExecuteResponse(return_value=outcome.return_value, effects=outcome.effects, state=outcome.state)


# --- start_function and end_function ---------------------------------------------------------


def _special_routes(which: str) -> None:
    entry = SPECIAL_FUNCTIONS[which]

    async def get_special(
        agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
    ) -> SpecialFunctionView:
        row = await FunctionService(session).get_special(principal, agentId, branchId, which)
        return SpecialFunctionView.model_validate(view(row))

    async def put_special(
        agentId: str, branchId: str, body: SpecialFunctionBody, principal: PrincipalDep, session: SessionDep
    ) -> SpecialFunctionView:
        row = await FunctionService(session).put_special(principal, agentId, branchId, which, body.code)
        return SpecialFunctionView.model_validate(view(row))

    async def delete_special(
        agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
    ) -> Response:
        await FunctionService(session).delete_special(principal, agentId, branchId, which)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    async def execute_special(
        agentId: str,
        branchId: str,
        principal: PrincipalDep,
        session: SessionDep,
        sandbox: SandboxDep,
        body: ExecuteBody | None = None,
    ) -> ExecuteResponse:
        return await _execute(session, sandbox, principal, agentId, branchId, which, body or ExecuteBody())

    routes: list[tuple[str, str, Callable[..., Awaitable[Any]], dict[str, Any]]] = [
        ("GET", f"Get the branch's {entry}.", get_special, {"response_model": SpecialFunctionView}),
        (
            "PUT",
            f"Set the branch's {entry}: `{{code}}` defining `def {entry}(conv)`.",
            put_special,
            {"response_model": SpecialFunctionView},
        ),
        (
            "DELETE",
            f"Remove the branch's {entry}.",
            delete_special,
            {"status_code": status.HTTP_204_NO_CONTENT, "response_class": Response},
        ),
    ]
    for method, summary, endpoint, extra in routes:
        router.add_api_route(
            f"/{which}",
            endpoint,
            methods=[method],
            name=f"{method.lower()}_{entry}",
            description=summary,
            **extra,
        )
    router.add_api_route(
        f"/{which}/execute",
        execute_special,
        methods=["POST"],
        name=f"execute_{entry}",
        description=f"Run the branch's {entry} in the sandbox and return its effects.",
        response_model=ExecuteResponse,
    )


for _which in SPECIAL_FUNCTIONS:
    _special_routes(_which)


# --- global functions ------------------------------------------------------------------------


@router.get("", response_model=FunctionsResponse)
async def list_functions(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> FunctionsResponse:
    """List the branch's global functions, by name."""
    rows = await FunctionService(session).list(principal, agentId, branchId)
    return FunctionsResponse(functions=[FunctionView.model_validate(view(row)) for row in rows])


@router.post("", response_model=FunctionView, status_code=status.HTTP_201_CREATED)
async def create_function(
    agentId: str, branchId: str, body: CreateFunctionBody, principal: PrincipalDep, session: SessionDep
) -> FunctionView:
    """Create a global function; its parameters are derived from `def <name>(conv, ...)`."""
    row = await FunctionService(session).create(
        principal, agentId, branchId, body.name, body.description, body.code
    )
    return FunctionView.model_validate(view(row))


@router.get("/{functionId}", response_model=FunctionView)
async def get_function(
    agentId: str, branchId: str, functionId: str, principal: PrincipalDep, session: SessionDep
) -> FunctionView:
    """Get one global function."""
    row = await FunctionService(session).get(principal, agentId, branchId, functionId)
    return FunctionView.model_validate(view(row))


@router.patch("/{functionId}", response_model=FunctionView)
async def update_function(
    agentId: str,
    branchId: str,
    functionId: str,
    body: UpdateFunctionBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> FunctionView:
    """Change a global function; fields left out stay. The code must define the (new) name."""
    if functionId in SPECIAL_FUNCTIONS:
        # `functions/start` is its own resource: PATCH would otherwise land here as an id.
        raise MethodNotAllowed(
            "PATCH is not supported here. Allowed: DELETE, GET, PUT.", headers={"Allow": "DELETE, GET, PUT"}
        )
    changes = body.model_dump(exclude_unset=True)
    row = await FunctionService(session).update(principal, agentId, branchId, functionId, changes)
    return FunctionView.model_validate(view(row))


@router.delete("/{functionId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_function(
    agentId: str, branchId: str, functionId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete a global function (references to it then fail the branch's compile)."""
    await FunctionService(session).delete(principal, agentId, branchId, functionId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{functionId}/execute", response_model=ExecuteResponse)
async def execute_function(
    agentId: str,
    branchId: str,
    functionId: str,
    principal: PrincipalDep,
    session: SessionDep,
    sandbox: SandboxDep,
    body: ExecuteBody | None = None,
) -> ExecuteResponse:
    """Run a global function in the sandbox: `{args, state}` in, `{returnValue, effects, state}` out."""
    return await _execute(session, sandbox, principal, agentId, branchId, functionId, body or ExecuteBody())

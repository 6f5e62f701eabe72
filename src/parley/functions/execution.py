"""``POST functions/{id}/execute``: run one function of a branch in the sandbox.

Execution reads the branch and writes nothing, so it works on main too; it still needs the
editor role, because it runs code on the server. Every global function of the branch is
available to the executed one as ``conv.functions.<name>``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.branches.scope import resolve_branch
from parley.branches.store import ResourceStore
from parley.errors import FunctionExecutionFailed, SchemaValidationFailed, ServiceUnavailable
from parley.functions.arguments import checked_arguments
from parley.functions.rules import SPECIAL_FUNCTIONS
from parley.functions.schemas import ExecuteContext
from parley.functions.service import FUNCTIONS, SPECIAL, special_not_set
from parley.runtime.functions import FunctionOutcome
from parley.runtime.sandbox.pool import Sandbox, SandboxUnavailable


class FunctionExecutionService:
    def __init__(self, session: AsyncSession, sandbox: Sandbox) -> None:
        self.session = session
        self.sandbox = sandbox

    async def execute(
        self,
        principal: Principal,
        agent_id: str,
        branch_ref: str,
        function_id: str,
        args: dict[str, Any],
        state: dict[str, Any],
        context: ExecuteContext,
    ) -> FunctionOutcome:
        scope = await resolve_branch(self.session, principal, agent_id, branch_ref, write=False)
        principal.require_role("editor")
        functions = ResourceStore(self.session, scope.branch.id, FUNCTIONS)
        if function_id in SPECIAL_FUNCTIONS:
            row = await ResourceStore(self.session, scope.branch.id, SPECIAL).find(function_id)
            if row is None:
                raise special_not_set(function_id)
            entry, parameters = SPECIAL_FUNCTIONS[function_id], []
        else:
            row = await functions.get(function_id)
            entry, parameters = str(row.data["name"]), list(row.data.get("parameters", []))
        call_args = checked_arguments(parameters, args)
        conv = {
            **context.model_dump(exclude={"history"}),
            "history": [turn.model_dump() for turn in context.history],
            "state": state,
            "functions": {str(r.data["name"]): str(r.data["code"]) for r in await functions.list()},
        }
        self._require_input_size(call_args, conv)
        try:
            outcome = await self.sandbox.run(str(row.data["code"]), entry, call_args, conv)
        except SandboxUnavailable as exc:
            raise ServiceUnavailable("The function sandbox is unavailable; try again later.") from exc
        if outcome.error is not None:
            raise _failed(entry, outcome.error)
        return outcome

    def _require_input_size(self, args: dict[str, Any], context: dict[str, Any]) -> None:
        limit = self.sandbox.settings.max_input_bytes
        size = len(json.dumps({"args": args, "state": context["state"]}))
        size += len(json.dumps({k: v for k, v in context.items() if k not in ("state", "functions")}))
        if size > limit:
            raise SchemaValidationFailed(
                f"args, state and context together exceed {limit} bytes.",
                data={
                    "errors": [
                        {"path": "/body", "message": f"larger than {limit} bytes", "type": "too_large"}
                    ]
                },
            )


def _failed(entry: str, error: dict[str, Any]) -> FunctionExecutionFailed:
    error_type = str(error.get("errorType") or "Error")
    message = str(error.get("message") or "")
    line = error.get("line")
    where = f" (line {line})" if isinstance(line, int) else ""
    # `function` names the source `line` belongs to: the executed one, or one it called.
    data: dict[str, Any] = {
        "errorType": error_type,
        "message": message,
        "line": line,
        "function": error.get("function"),
    }
    return FunctionExecutionFailed(
        f"Function '{entry}' failed{where}: {error_type}: {message}"[:2000], data=data
    )

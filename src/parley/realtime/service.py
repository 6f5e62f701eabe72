"""Real-time config pages: who may touch them, schema upserts and validated variable merges."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.service import AGENT_ID_PATTERN, AgentService
from parley.auth.principal import Principal, role_rank
from parley.errors import (
    ParleyError,
    PayloadTooLarge,
    ProjectNotFound,
    RealTimeConfigForbiddenAccess,
    RealTimeConfigInvalidForSchema,
    RealTimeConfigInvalidSchema,
    RealTimeConfigUnknownClientEnvironment,
    SchemaValidationFailed,
)
from parley.kit.db import utcnow
from parley.models import RealTimeConfig
from parley.realtime import validation
from parley.realtime.repository import RealTimeConfigRepository
from parley.realtime.schemas import ConfigPage, ConfigPages

CLIENT_ENVS = ("sandbox", "pre-release", "live")


async def real_time_variables(session: AsyncSession, agent_id: str, client_env: str) -> dict[str, Any]:
    """The values a conversation in ``client_env`` sees as ``conv.real_time_config`` right now.

    For the runtime, which has already authenticated its caller: no permission checks here.
    """
    return await RealTimeConfigRepository(session).variables(agent_id, client_env) or {}


class RealTimeConfigService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = RealTimeConfigRepository(session)

    async def list_pages(self, principal: Principal, agent_id: str) -> ConfigPages:
        agent_id = await self._authorised(principal, agent_id)
        rows = await self.repo.pages(agent_id)
        return ConfigPages(config_pages=[_page(env, rows.get(env)) for env in CLIENT_ENVS])

    async def get_page(self, principal: Principal, agent_id: str, client_env: str) -> ConfigPage:
        agent_id = await self._authorised(principal, agent_id)
        env = _checked_env(client_env)
        return _page(env, await self.repo.page(agent_id, env))

    async def put_schema(
        self, principal: Principal, agent_id: str, client_env: str, schema: dict[str, Any]
    ) -> ConfigPage:
        agent_id = await self._authorised(principal, agent_id)
        env = _checked_env(client_env)
        _check(schema, "'schema'", validation.MAX_SCHEMA_DEPTH, "/body/schema", RealTimeConfigInvalidSchema)
        problems = await asyncio.to_thread(validation.schema_problems, schema)
        if problems:
            raise RealTimeConfigInvalidSchema(
                f"The schema is not a valid JSON Schema (Draft 7) for a config page: {problems[0].message}",
                data={"clientEnv": env, "errors": [p.as_dict() for p in problems]},
            )
        row = await self.repo.locked_page(agent_id, env)
        found = await _violations(schema, row.variables, env)
        if found:
            raise RealTimeConfigInvalidForSchema(
                f"The current {env} variables do not satisfy the new schema; change them first, "
                "or send a schema they satisfy.",
                data=_violation_data(env, found),
            )
        row.json_schema = schema
        row.updated_at = utcnow()
        await self.session.flush()
        return _page(env, row)

    async def patch_variables(
        self, principal: Principal, agent_id: str, client_env: str, variables: dict[str, Any]
    ) -> ConfigPage:
        agent_id = await self._authorised(principal, agent_id)
        env = _checked_env(client_env)
        _check(
            variables,
            "'variables'",
            validation.MAX_VARIABLES_DEPTH,
            "/body/variables",
            SchemaValidationFailed,
        )
        row = await self.repo.locked_page(agent_id, env)
        merged = dict(row.variables)
        for key, value in variables.items():
            # A shallow merge, where null removes a key: otherwise a key that a stricter schema
            # no longer allows could never be taken out again.
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        _check(
            merged,
            "The merged variables",
            validation.MAX_VARIABLES_DEPTH,
            "/body/variables",
            SchemaValidationFailed,
        )
        found = await _violations(row.json_schema, merged, env)
        if found:
            raise RealTimeConfigInvalidForSchema(
                f"The {env} variables would not satisfy the page's schema ({len(found)} violation"
                f"{'' if len(found) == 1 else 's'}); nothing was changed.",
                data=_violation_data(env, found),
            )
        row.variables = merged
        row.updated_at = utcnow()
        await self.session.flush()
        return _page(env, row)

    async def _authorised(self, principal: Principal, agent_id: str) -> str:
        """Agent first (other tenants see 404), then the role: editors and above, reads included."""
        # An id that cannot exist never reaches the database (PostgreSQL refuses NUL bytes in text).
        if not AGENT_ID_PATTERN.fullmatch(agent_id):
            raise ProjectNotFound(f"Agent '{agent_id[:64]}' does not exist.")
        agent = await AgentService(self.session).accessible(principal, agent_id)
        if principal.role == "external" or role_rank(principal.role) < role_rank("editor"):
            raise RealTimeConfigForbiddenAccess(
                f"Real-time configs need the editor role or higher; this key has '{principal.role}'."
            )
        return agent.id


def _checked_env(client_env: str) -> str:
    if client_env not in CLIENT_ENVS:
        raise RealTimeConfigUnknownClientEnvironment(
            f"Unknown client environment '{client_env[:40]}': use one of {', '.join(CLIENT_ENVS)}.",
            data={"clientEnv": client_env[:100], "allowed": list(CLIENT_ENVS)},
        )
    return client_env


def _check(
    document: Any, what: str, max_depth: int, body_path: str, invalid: Callable[..., ParleyError]
) -> None:
    try:
        validation.check_document(document, what=what, max_depth=max_depth)
    except validation.DocumentRejected as exc:
        error = {**exc.problem.as_dict(), "path": body_path + exc.problem.path}
        if exc.too_large:
            raise PayloadTooLarge(
                exc.problem.message, data={"errors": [error], "maxBytes": validation.MAX_DOCUMENT_BYTES}
            ) from None
        raise invalid(exc.problem.message, data={"errors": [error]}) from None


async def _violations(schema: dict[str, Any], instance: dict[str, Any], env: str) -> list[validation.Problem]:
    try:
        return await asyncio.to_thread(validation.violations, schema, instance)
    except validation.TooExpensive as exc:
        raise RealTimeConfigInvalidSchema(
            f"The {env} schema is too expensive to evaluate ({exc}); simplify it.",
            data={"clientEnv": env, "errors": [{"path": "", "message": str(exc), "type": "budget"}]},
        ) from None


def _violation_data(env: str, found: list[validation.Problem]) -> dict[str, Any]:
    data: dict[str, Any] = {"clientEnv": env, "errors": [p.as_dict() for p in found]}
    if len(found) >= validation.MAX_REPORTED:
        data["truncated"] = True
    return data


def _page(env: str, row: RealTimeConfig | None) -> ConfigPage:
    if row is None:
        return ConfigPage(client_env=env, variables={}, json_schema={})
    return ConfigPage(
        client_env=env,
        variables=row.variables,
        json_schema=row.json_schema,
        last_updated=row.updated_at,
    )

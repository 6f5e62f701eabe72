"""Real-time configs, per the Agents API spec: one page per environment, outside branching."""

from __future__ import annotations

from fastapi import APIRouter

from parley.auth.deps import PrincipalDep
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.realtime.schemas import ConfigPage, ConfigPages, UpdateConfigSchemaBody, UpdateConfigVariablesBody
from parley.realtime.service import RealTimeConfigService

router = APIRouter(
    prefix="/v1/agents/{agentId}/real-time-configs",
    tags=["Real-Time Configs"],
    route_class=make_route_class(),
)


@router.get("", response_model=ConfigPages, response_model_exclude_none=True)
async def list_config_pages(agentId: str, principal: PrincipalDep, session: SessionDep) -> ConfigPages:
    """The sandbox, pre-release and live pages, in that order."""
    return await RealTimeConfigService(session).list_pages(principal, agentId)


@router.get("/{clientEnv}", response_model=ConfigPage, response_model_exclude_none=True)
async def get_config_page(
    agentId: str, clientEnv: str, principal: PrincipalDep, session: SessionDep
) -> ConfigPage:
    """One environment's schema and values."""
    return await RealTimeConfigService(session).get_page(principal, agentId, clientEnv)


@router.put("/{clientEnv}/schema", response_model=ConfigPage, response_model_exclude_none=True)
async def put_config_schema(
    agentId: str, clientEnv: str, body: UpdateConfigSchemaBody, principal: PrincipalDep, session: SessionDep
) -> ConfigPage:
    """Replace the page's JSON Schema; refused if the current values would not satisfy it."""
    return await RealTimeConfigService(session).put_schema(principal, agentId, clientEnv, body.json_schema)


@router.patch("/{clientEnv}/variables", response_model=ConfigPage, response_model_exclude_none=True)
async def patch_config_variables(
    agentId: str,
    clientEnv: str,
    body: UpdateConfigVariablesBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> ConfigPage:
    """Shallow-merge values (null removes a key) and validate the result against the schema."""
    return await RealTimeConfigService(session).patch_variables(principal, agentId, clientEnv, body.variables)

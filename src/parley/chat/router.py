"""The Chat API, per PolyAI's spec: create, respond, close."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.repository import AgentRef
from parley.agents.service import AgentService
from parley.auth.deps import PrincipalDep
from parley.auth.principal import Principal
from parley.chat.deps import hold_conversation, runtime_deps_dependency
from parley.chat.runtime import ConversationRuntime, RuntimeDeps, StartOptions
from parley.chat.schemas import (
    CloseChatRequest,
    CloseChatResponse,
    CreateChatRequest,
    CreateChatResponse,
    Handoff,
    RespondChatRequest,
    RespondChatResponse,
)
from parley.errors import AuthUserInvalidToken, ProjectNotFound, ResourceNotFound
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.models.telephony import Connector
from parley.telephony.service import connector_for_token

router = APIRouter(
    prefix="/{version}/{account_id}/{project_id}/chat", tags=["Chat"], route_class=make_route_class()
)

SUPPORTED_VERSIONS = ("v1",)
RuntimeDepsDep = Annotated[RuntimeDeps, Depends(runtime_deps_dependency)]
TokenHeader = Annotated[str | None, Header(alias="X-TOKEN", max_length=500)]


async def _agent(
    session: AsyncSession, principal: Principal, version: str, account_id: str, project_id: str
) -> AgentRef:
    if version not in SUPPORTED_VERSIONS:
        raise ResourceNotFound(f"Chat API version '{version[:20]}' does not exist; use v1.")
    principal.require_account(account_id)
    agent = await AgentService(session).accessible_ref(principal, project_id)
    if agent.account_id != account_id:
        raise ProjectNotFound(f"Agent '{project_id}' does not exist.")
    return agent


async def _connector(session: AsyncSession, project_id: str, token: str | None) -> Connector | None:
    """X-TOKEN is optional in parley; when sent it must be a connector token of this project."""
    if token is None:
        return None
    connector = await connector_for_token(session, project_id, token)
    if connector is None:
        raise AuthUserInvalidToken("X-TOKEN is not a valid connector token for this project.")
    return connector


# The body is declared by the dependency that holds its conversation, which hands it on: FastAPI
# validates a body once per dependant that declares it, and the route still documents it.
async def _held_respond(request: Request, body: RespondChatRequest) -> AsyncIterator[RespondChatRequest]:
    async for _ in hold_conversation(request, body.conversation_id):
        yield body


async def _held_close(request: Request, body: CloseChatRequest) -> AsyncIterator[CloseChatRequest]:
    async for _ in hold_conversation(request, body.conversation_id):
        yield body


@router.post("/create", response_model=CreateChatResponse)
async def create_chat(
    version: str,
    account_id: str,
    project_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    deps: RuntimeDepsDep,
    x_token: TokenHeader = None,
    body: CreateChatRequest | None = None,
) -> CreateChatResponse:
    """Start a conversation; the response is the agent's greeting."""
    body = body or CreateChatRequest()
    agent = await _agent(session, principal, version, account_id, project_id)
    connector = await _connector(session, project_id, x_token)
    options = StartOptions(
        environment=body.environment or (connector.client_env if connector else "live"),
        channel=body.channel,
        source="chat",
        variant_id=body.variant_id or (connector.variant_id if connector and connector.variant_id else None),
        integration_attributes=body.integration_attributes,
        connector_id=connector.id if connector else None,
        language=body.asr_lang_code,
    )
    exchange = await ConversationRuntime(session, deps).start(agent, options)
    return CreateChatResponse(conversation_id=exchange.conversation.id, response=exchange.outcome.response)


@router.post("/respond", response_model=RespondChatResponse, response_model_exclude_none=True)
async def respond_chat(
    version: str,
    account_id: str,
    project_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    deps: RuntimeDepsDep,
    body: Annotated[RespondChatRequest, Depends(_held_respond)],
    x_token: TokenHeader = None,
) -> RespondChatResponse:
    """Send the user's message; get the agent's reply."""
    agent = await _agent(session, principal, version, account_id, project_id)
    await _connector(session, project_id, x_token)
    exchange = await ConversationRuntime(session, deps).message(agent, body.conversation_id, body.message)
    handoff = exchange.outcome.handoff
    return RespondChatResponse(
        conversation_id=exchange.conversation.id,
        response=exchange.outcome.response,
        end_conversation=exchange.outcome.end_conversation,
        handoff=Handoff(destination=str(handoff["destination"]), reason=str(handoff["reason"]))
        if handoff
        else None,
    )


@router.put("/close", response_model=CloseChatResponse)
async def close_chat(
    version: str,
    account_id: str,
    project_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    deps: RuntimeDepsDep,
    body: Annotated[CloseChatRequest, Depends(_held_close)],
    x_token: TokenHeader = None,
) -> CloseChatResponse:
    """End the conversation; the agent's end function runs."""
    agent = await _agent(session, principal, version, account_id, project_id)
    await _connector(session, project_id, x_token)
    await ConversationRuntime(session, deps).close(agent, body.conversation_id)
    return CloseChatResponse(success=True)

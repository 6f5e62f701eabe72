"""Debug chat, per PolyAI's spec: talk to a deployment, or (parley) to a branch draft."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from parley.agents.service import AgentService
from parley.auth.deps import PrincipalDep
from parley.chat.deps import hold_conversation, runtime_deps_dependency
from parley.chat.runtime import ConversationRuntime, Exchange, RuntimeDeps, StartOptions
from parley.chat.schemas import ChatMetadata, CreateDebugChatBody, DebugChatResponse, RespondDebugChatBody
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class

router = APIRouter(
    prefix="/v1/agents/{agentId}/debug-chat", tags=["Debug chat"], route_class=make_route_class()
)
RuntimeDepsDep = Annotated[RuntimeDeps, Depends(runtime_deps_dependency)]


async def _hold(request: Request, conversationId: str) -> AsyncIterator[None]:
    async for _ in hold_conversation(request, conversationId):
        yield


def _view(exchange: Exchange, asr: str | None, tts: str | None) -> DebugChatResponse:
    outcome, session = exchange.outcome, exchange.session
    trace = outcome.node_trace or ["start"]
    return DebugChatResponse(
        conversation_id=exchange.conversation.id,
        user_input=exchange.user_input,
        response=outcome.response,
        metadata=ChatMetadata(
            state=session.state,
            current_node=trace[-1],
            node_trace=trace,
            metrics={"latencyMs": None},
            function_events=outcome.function_calls + outcome.effects,
            handoff_destination=(outcome.handoff or {}).get("destination"),
            retrieved_topics=outcome.topics,
            retrieved_sources=[],
            cited_topic=outcome.topics[0] if outcome.topics else None,
            in_flow=session.flow,
            in_step=session.step,
            llm_requests=[],
            asr_lang_code=asr,
            tts_lang_code=tts,
        ),
        conversation_ended=exchange.conversation.status != "active",
        delayed_response=False,
    )


@router.post("", response_model=DebugChatResponse, status_code=status.HTTP_201_CREATED)
async def create_debug_chat(
    agentId: str,
    body: CreateDebugChatBody,
    principal: PrincipalDep,
    session: SessionDep,
    deps: RuntimeDepsDep,
) -> DebugChatResponse:
    """Start a debug conversation; the response is the greeting."""
    agent = await AgentService(session).accessible(principal, agentId)
    principal.require_role("viewer")
    options = StartOptions(
        environment=body.client_env,
        channel="webchat" if body.channel in (None, "chat.polyai", "webchat.polyai") else "api",
        source="debug_chat",
        branch_ref=body.branch_id,
        conversation_id=body.conversation_id or f"AS_CHAT_{uuid.uuid4()}",
        variant_id=body.variant_id,
        integration_attributes=body.integration_attributes,
        language=body.asr_lang_code,
    )
    exchange = await ConversationRuntime(session, deps).start(agent, options)
    return _view(exchange, body.asr_lang_code, body.tts_lang_code)


@router.post("/{conversationId}", response_model=DebugChatResponse)
async def respond_debug_chat(
    agentId: str,
    conversationId: str,
    body: RespondDebugChatBody,
    principal: PrincipalDep,
    session: SessionDep,
    deps: RuntimeDepsDep,
    _held: Annotated[None, Depends(_hold)],
) -> DebugChatResponse:
    """Send a message in a debug conversation."""
    agent = await AgentService(session).accessible(principal, agentId)
    principal.require_role("viewer")
    exchange = await ConversationRuntime(session, deps).message(agent, conversationId, body.message)
    return _view(exchange, body.asr_lang_code, body.tts_lang_code)

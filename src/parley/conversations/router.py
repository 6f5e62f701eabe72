"""HTTP for the Conversations API: v3 list, detail, audio, v1 list, handoff state, concurrency."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from parley.auth.deps import PrincipalDep
from parley.conversations.service import ConversationService, ListQuery
from parley.errors import ConversationsValidationFailed
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class

router = APIRouter(tags=["Conversations"], route_class=make_route_class(ConversationsValidationFailed))

ClientEnv = Literal["sandbox", "pre-release", "live"]
Direction = Literal["combined", "user", "agent"]
Text = Annotated[str | None, Query(max_length=1000)]


@router.get("/v1/agents/{agentId}/conversations/{conversationId}")
async def get_conversation(
    agentId: str,
    conversationId: str,
    principal: PrincipalDep,
    session: SessionDep,
) -> dict[str, Any]:
    """One conversation with its turns and everything the runtime recorded."""
    return await ConversationService(session).detail(principal, agentId, conversationId)


@router.get(
    "/v1/agents/{agentId}/conversations/{conversationId}/audio",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}}},
)
async def get_conversation_audio(
    agentId: str,
    conversationId: str,
    principal: PrincipalDep,
    session: SessionDep,
    direction: Direction = "combined",
    redacted: bool = False,
) -> Response:
    """The WAV recording uploaded for this conversation."""
    recording = await ConversationService(session).audio(
        principal, agentId, conversationId, direction, redacted
    )
    return Response(recording.audio, media_type="audio/wav")


@router.put("/v1/agents/{agentId}/conversations/{conversationId}/audio")
async def put_conversation_audio(
    request: Request,
    agentId: str,
    conversationId: str,
    principal: PrincipalDep,
    session: SessionDep,
    direction: Direction = "combined",
    redacted: bool = False,
) -> dict[str, Any]:
    """Attach a WAV recording (body: the file, ``Content-Type: audio/wav``); replaces an earlier one."""
    audio = await request.body()
    return await ConversationService(session).upload_audio(
        principal,
        agentId,
        conversationId,
        direction,
        redacted,
        request.headers.get("content-type"),
        audio,
    )


@router.get("/v3/{account_id}/{project_id}/conversations")
async def list_conversations_v3(
    account_id: str,
    project_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    query_type: Literal["transcript", "semantic"] | None = None,
    sample: Literal["random"] | None = None,
    query: Text = None,
    turn_type: Literal["user", "agent"] | None = None,
    channel: Annotated[list[str] | None, Query(max_length=20)] = None,
    client_env: ClientEnv = "live",
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    variant_id: Text = None,
    variant_name: Text = None,
    in_progress: bool | None = None,
    include_latency: bool = False,
    filter_: Annotated[str | None, Query(alias="filter")] = None,
    sort: str | None = None,
) -> dict[str, Any]:
    """List conversations, with parley's ``filter`` and ``sort`` extensions and keyset cursors."""
    params = ListQuery(
        client_env=client_env,
        channel=channel or [],
        start_time=start_time,
        end_time=end_time,
        variant_id=variant_id,
        variant_name=variant_name,
        in_progress=in_progress,
        include_latency=include_latency,
        limit=limit,
        offset=offset,
        cursor=cursor,
        query_type=query_type,
        query=query,
        turn_type=turn_type,
        sample=sample,
        filter=filter_,
        sort=sort,
    )
    return await ConversationService(session).list_v3(principal, account_id, project_id, params)


@router.get("/v1/{account_id}/{project_id}/conversations")
async def list_conversations_v1(
    account_id: str,
    project_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    client_env: ClientEnv = "live",
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 5,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    variant_id: Text = None,
    variant_name: Text = None,
    in_progress: bool | None = None,
) -> dict[str, Any]:
    """Legacy list: offset paging, ascending chronological order."""
    params = ListQuery(
        client_env=client_env,
        start_time=start_time,
        end_time=end_time,
        variant_id=variant_id,
        variant_name=variant_name,
        in_progress=in_progress,
        limit=limit,
        offset=offset,
    )
    return await ConversationService(session).list_v1(principal, account_id, project_id, params)


@router.get("/v1/{account_id}/{project_id}/handoff_state")
async def get_handoff_state(
    account_id: str,
    project_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    id: Text = None,
    shared_id: Text = None,
) -> dict[str, Any]:
    """The state the agent stored when it handed the conversation off."""
    return await ConversationService(session).handoff_state(principal, account_id, project_id, id, shared_id)


@router.get("/v1/{account_id}/{project_id}/conversations/concurrency")
async def get_concurrency(
    account_id: str,
    project_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    start_time: datetime,
    end_time: datetime,
    client_env: ClientEnv = "live",
    variant_name: Text = None,
    variant_id: Text = None,
    language: Text = None,
    phone_number: Text = None,
    slice_by: Text = None,
) -> dict[str, Any]:
    """Maximum concurrent conversations per 5-minute interval."""
    return await ConversationService(session).concurrency(
        principal,
        account_id,
        project_id,
        start_time=start_time,
        end_time=end_time,
        client_env=client_env,
        variant_id=variant_id,
        variant_name=variant_name,
        language=language,
        phone_number=phone_number,
        slice_by=slice_by,
    )

"""SMS endpoints: PolyAI's outbound SMS, and parley's outbox and inbound webhook (docs/sms.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.security import APIKeyHeader

from parley.auth.deps import PrincipalDep, get_principal
from parley.auth.principal import Principal
from parley.errors import AuthUserInvalidToken, SchemaValidationFailed
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.models import Agent
from parley.sms.schemas import (
    Direction,
    InboundSmsBody,
    InboundSmsView,
    OutboundSmsBody,
    SmsMessagesView,
    SmsMessageView,
    Status,
)
from parley.sms.service import SmsService, inbound_agent
from parley.telephony.service import connector_for_token

router = APIRouter(tags=["SMS"], route_class=make_route_class(SchemaValidationFailed))

# auto_error=False: a missing credential must raise our catalogue error, not FastAPI's 403.
_polyai_auth_token = APIKeyHeader(name="X-PolyAi-Auth-Token", auto_error=False)
_api_key = APIKeyHeader(name="x-api-key", auto_error=False)
_connector_token = APIKeyHeader(name="X-TOKEN", auto_error=False)


async def _outbound_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(_polyai_auth_token)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """PolyAI sends the API key in X-PolyAi-Auth-Token; parley's usual x-api-key works too."""
    return await get_principal(request, session, token or api_key)


async def _inbound_agent(
    agentId: str,
    request: Request,
    session: SessionDep,
    connector_token: Annotated[str | None, Depends(_connector_token)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Agent:
    """A provider's webhook holds a connector token (X-TOKEN); scripts may use an API key."""
    if connector_token is not None:
        connector = await connector_for_token(session, agentId, connector_token)
        if connector is None:
            raise AuthUserInvalidToken("X-TOKEN is not a valid connector token for this agent.")
        return await inbound_agent(session, None, connector, agentId)
    principal = await get_principal(request, session, api_key)
    return await inbound_agent(session, principal, None, agentId)


def _service(request: Request, session: SessionDep) -> SmsService:
    return SmsService(session, request.app.state.settings.sms)


ServiceDep = Annotated[SmsService, Depends(_service)]


@router.post("/v1/outbound-sms", status_code=status.HTTP_202_ACCEPTED, response_class=Response)
async def send_outbound_sms(
    body: OutboundSmsBody,
    principal: Annotated[Principal, Depends(_outbound_principal)],
    service: ServiceDep,
    connector_id: Annotated[str, Header(alias="X-TOKEN-ID", min_length=1, max_length=200)],
) -> Response:
    """Send one SMS from a number of the connector (`X-TOKEN-ID`); 202 with an empty body."""
    await service.send_outbound(principal, connector_id, body)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.get("/v1/agents/{agentId}/sms/messages", response_model=SmsMessagesView)
async def list_sms_messages(
    agentId: str,
    principal: PrincipalDep,
    service: ServiceDep,
    status: Status | None = None,
    to: Annotated[str | None, Query(max_length=64)] = None,
    direction: Direction | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SmsMessagesView:
    """The outbox: every message of the agent, newest first, optionally filtered."""
    return await service.list_messages(
        principal, agentId, status=status, to=to, direction=direction, limit=limit
    )


@router.get("/v1/agents/{agentId}/sms/messages/{messageId}", response_model=SmsMessageView)
async def get_sms_message(
    agentId: str, messageId: str, principal: PrincipalDep, service: ServiceDep
) -> SmsMessageView:
    """One message with its status and, when not sent, the reason."""
    return await service.get_message(principal, agentId, messageId)


@router.post("/v1/agents/{agentId}/sms/inbound", response_model=InboundSmsView)
async def receive_sms(
    body: InboundSmsBody, agent: Annotated[Agent, Depends(_inbound_agent)], service: ServiceDep
) -> InboundSmsView:
    """A text a user sent to one of the agent's numbers; STOP/START keywords change the opt-out."""
    return await service.receive(agent, body)

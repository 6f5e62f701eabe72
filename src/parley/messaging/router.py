"""Messaging: the access-token exchange and session creation over HTTP, and the WebSocket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.messaging.hub import hub_of
from parley.messaging.schemas import AccessTokenView, CreateSessionBody, SessionView
from parley.messaging.service import MessagingService
from parley.messaging.tokens import AccessClaims
from parley.messaging.ws_router import router as ws_router

router = APIRouter(tags=["Messaging"], route_class=make_route_class())


def _service(request: Request, session: SessionDep) -> MessagingService:
    return MessagingService(session, request.app.state.settings.messaging, hub_of(request.app.state).secret)


ServiceDep = Annotated[MessagingService, Depends(_service)]


async def _claims(service: ServiceDep, authorization: Annotated[str | None, Header()] = None) -> AccessClaims:
    # A dependency, so that a bad token is answered 401 before the body is validated.
    return await service.bearer_claims(authorization)


@router.post("/api/v1/access-token", response_model=AccessTokenView)
async def create_access_token(
    service: ServiceDep,
    x_token: Annotated[str | None, Header(alias="X-Token")] = None,
    x_host: Annotated[str | None, Header(alias="X-Host")] = None,
) -> AccessTokenView:
    """Exchange a connector token, from one of the connector's allowed hosts, for an access token."""
    return await service.access_token(x_token, x_host)


@router.post("/api/v1/sessions", response_model=SessionView)
async def create_session(
    service: ServiceDep,
    claims: Annotated[AccessClaims, Depends(_claims)],
    body: CreateSessionBody | None = None,
    user_agent: Annotated[str | None, Header()] = None,
) -> SessionView:
    """Create a webchat session; connect to `/ws` with its id to talk."""
    return await service.create_session(claims, body or CreateSessionBody(), user_agent)


router.include_router(ws_router)

"""Connectors, per the Agents API spec plus create and rotate-token (CONTRACT.md), and phone numbers."""

from __future__ import annotations

from fastapi import APIRouter, status

from parley.auth.deps import PrincipalDep
from parley.errors import ConnectorsValidationFailed
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.telephony.phone_router import router as phone_numbers_router
from parley.telephony.schemas import (
    BatchGetConnectorsBody,
    BatchGetConnectorsView,
    BatchUpdateConnectorsBody,
    BatchUpdateConnectorsView,
    ConnectorsView,
    ConnectorView,
    ConnectorWithToken,
    CreateConnectorBody,
    DeleteConnectorView,
    LookupConnectorBody,
    UpdateConnectorBody,
)
from parley.telephony.service import ConnectorService

connectors_router = APIRouter(
    prefix="/v1/agents/{agentId}/telephony/connectors",
    tags=["Connectors"],
    route_class=make_route_class(ConnectorsValidationFailed),
)


@connectors_router.get("", response_model=ConnectorsView)
async def list_connectors(agentId: str, principal: PrincipalDep, session: SessionDep) -> ConnectorsView:
    """Every connector of the agent (tokens are never shown again after creation)."""
    return await ConnectorService(session).list_connectors(principal, agentId)


@connectors_router.post("", response_model=ConnectorWithToken, status_code=status.HTTP_201_CREATED)
async def create_connector(
    agentId: str, body: CreateConnectorBody, principal: PrincipalDep, session: SessionDep
) -> ConnectorWithToken:
    """Create a connector; its `token` is in this response only."""
    return await ConnectorService(session).create(principal, agentId, body)


# Literal paths before "/{connectorId}", so that "batch" and "lookup" are never taken for ids.
@connectors_router.post("/batch", response_model=BatchGetConnectorsView)
async def batch_get_connectors(
    agentId: str, body: BatchGetConnectorsBody, principal: PrincipalDep, session: SessionDep
) -> BatchGetConnectorsView:
    """Fetch several connectors by id."""
    return await ConnectorService(session).batch_get(principal, agentId, body.connector_ids)


@connectors_router.patch("/batch", response_model=BatchUpdateConnectorsView, response_model_exclude_none=True)
async def batch_update_connectors(
    agentId: str, body: BatchUpdateConnectorsBody, principal: PrincipalDep, session: SessionDep
) -> BatchUpdateConnectorsView:
    """Apply updates in order, each independently; per-item success or error."""
    return await ConnectorService(session).batch_update(principal, agentId, body.updates)


@connectors_router.post("/lookup", response_model=ConnectorView)
async def lookup_connector(
    agentId: str, body: LookupConnectorBody, principal: PrincipalDep, session: SessionDep
) -> ConnectorView:
    """The connector a phone number routes to."""
    return await ConnectorService(session).lookup(principal, agentId, body.phone_number)


@connectors_router.get("/{connectorId}", response_model=ConnectorView)
async def get_connector(
    agentId: str, connectorId: str, principal: PrincipalDep, session: SessionDep
) -> ConnectorView:
    """One connector."""
    return await ConnectorService(session).get(principal, agentId, connectorId)


@connectors_router.patch("/{connectorId}", response_model=ConnectorView)
async def update_connector(
    agentId: str, connectorId: str, body: UpdateConnectorBody, principal: PrincipalDep, session: SessionDep
) -> ConnectorView:
    """Change the fields sent; null clears one; `projectId` moves the connector with its numbers."""
    return await ConnectorService(session).update(principal, agentId, connectorId, body)


@connectors_router.delete("/{connectorId}", response_model=DeleteConnectorView)
async def delete_connector(
    agentId: str, connectorId: str, principal: PrincipalDep, session: SessionDep
) -> DeleteConnectorView:
    """Delete the connector and release every number routed to it."""
    return await ConnectorService(session).delete(principal, agentId, connectorId)


@connectors_router.post("/{connectorId}/rotate-token", response_model=ConnectorWithToken)
async def rotate_connector_token(
    agentId: str, connectorId: str, principal: PrincipalDep, session: SessionDep
) -> ConnectorWithToken:
    """Issue a new token; the old one stops working at once."""
    return await ConnectorService(session).rotate_token(principal, agentId, connectorId)


router = APIRouter()
router.include_router(connectors_router)
router.include_router(phone_numbers_router)

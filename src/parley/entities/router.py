"""Entities of a branch (a parley extension: PolyAI documents the resource but no path)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.auth.deps import PrincipalDep
from parley.entities.schemas import CreateEntityBody, EntitiesResponse, EntityView, UpdateEntityBody
from parley.entities.service import EntityService
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class

router = APIRouter(
    prefix="/v1/agents/{agentId}/branches/{branchId}/entities",
    tags=["Entities"],
    route_class=make_route_class(),
)


@router.get("", response_model=EntitiesResponse)
async def list_entities(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> EntitiesResponse:
    """List the branch's entities."""
    entities = await EntityService(session).list(principal, agentId, branchId)
    return EntitiesResponse.model_validate({"entities": entities})


@router.post("", response_model=EntityView, status_code=status.HTTP_201_CREATED)
async def create_entity(
    agentId: str, branchId: str, body: CreateEntityBody, principal: PrincipalDep, session: SessionDep
) -> EntityView:
    """Create an entity."""
    return EntityView.model_validate(await EntityService(session).create(principal, agentId, branchId, body))


@router.get("/{entityId}", response_model=EntityView)
async def get_entity(
    agentId: str, branchId: str, entityId: str, principal: PrincipalDep, session: SessionDep
) -> EntityView:
    """Get one entity."""
    return EntityView.model_validate(await EntityService(session).get(principal, agentId, branchId, entityId))


@router.patch("/{entityId}", response_model=EntityView)
async def update_entity(
    agentId: str,
    branchId: str,
    entityId: str,
    body: UpdateEntityBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> EntityView:
    """Change an entity; fields left out stay as they are."""
    updated = await EntityService(session).update(principal, agentId, branchId, entityId, body)
    return EntityView.model_validate(updated)


@router.delete("/{entityId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_entity(
    agentId: str, branchId: str, entityId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete an entity (references to it then fail the branch's compile)."""
    await EntityService(session).delete(principal, agentId, branchId, entityId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

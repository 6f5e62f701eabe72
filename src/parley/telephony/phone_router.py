"""Phone numbers, per the Agents API spec. Path numbers may be URL-encoded ('%2B44...')."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from parley.auth.deps import PrincipalDep
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.telephony.phone_numbers import PhoneNumberService
from parley.telephony.schemas import (
    BatchGetPhoneNumbersView,
    DeletedOneView,
    DeletePhoneNumbersView,
    ImportedOneView,
    ImportedView,
    ImportPhoneNumberBody,
    ImportPhoneNumbersBody,
    PhoneNumbersBody,
    PhoneNumbersView,
    PhoneNumberView,
    ReassignPhoneNumberBody,
)

# The seed gives phone numbers no validation code: malformed bodies are 400 SCHEMA_VALIDATION_FAILED.
router = APIRouter(
    prefix="/v1/agents/{agentId}/telephony/phone-numbers",
    tags=["Phone Numbers"],
    route_class=make_route_class(),
)


@router.get("", response_model=PhoneNumbersView, response_model_exclude_none=True)
async def list_phone_numbers(
    agentId: str,
    principal: PrincipalDep,
    session: SessionDep,
    connectorId: Annotated[str | None, Query(max_length=64)] = None,
) -> PhoneNumbersView:
    """Every number of the agent, optionally only those routed to one connector."""
    return await PhoneNumberService(session).list_numbers(principal, agentId, connectorId)


@router.post("", response_model=ImportedView, status_code=status.HTTP_201_CREATED)
async def import_phone_numbers(
    agentId: str, body: ImportPhoneNumbersBody, principal: PrincipalDep, session: SessionDep
) -> ImportedView:
    """Import numbers, all or nothing; they are stored and returned in E.164."""
    imported = await PhoneNumberService(session).import_numbers(
        principal, agentId, body.phone_numbers, body.client_env, body.connector_id
    )
    return ImportedView(imported=imported)


@router.delete("", response_model=DeletePhoneNumbersView, response_model_exclude_none=True)
async def delete_phone_numbers(
    agentId: str, body: PhoneNumbersBody, principal: PrincipalDep, session: SessionDep
) -> DeletePhoneNumbersView:
    """Release numbers independently; the ones that could not be are listed in `errors`."""
    return await PhoneNumberService(session).delete_numbers(principal, agentId, body.phone_numbers)


@router.post("/batch", response_model=BatchGetPhoneNumbersView, response_model_exclude_none=True)
async def batch_get_phone_numbers(
    agentId: str, body: PhoneNumbersBody, principal: PrincipalDep, session: SessionDep
) -> BatchGetPhoneNumbersView:
    """Look several numbers up at once."""
    return await PhoneNumberService(session).batch_get(principal, agentId, body.phone_numbers)


@router.get("/{phoneNumber}", response_model=PhoneNumberView, response_model_exclude_none=True)
async def get_phone_number(
    agentId: str, phoneNumber: str, principal: PrincipalDep, session: SessionDep
) -> PhoneNumberView:
    """One number and the connector it routes to."""
    return await PhoneNumberService(session).get(principal, agentId, phoneNumber)


@router.post("/{phoneNumber}", response_model=ImportedOneView, status_code=status.HTTP_201_CREATED)
async def import_phone_number(
    agentId: str,
    phoneNumber: str,
    principal: PrincipalDep,
    session: SessionDep,
    body: ImportPhoneNumberBody | None = None,
) -> ImportedOneView:
    """Import one number (the body may be omitted: clientEnv defaults to live)."""
    body = body or ImportPhoneNumberBody()
    imported = await PhoneNumberService(session).import_numbers(
        principal, agentId, [phoneNumber], body.client_env, body.connector_id
    )
    return ImportedOneView(imported=imported[0])


@router.delete("/{phoneNumber}", response_model=DeletedOneView)
async def delete_phone_number(
    agentId: str, phoneNumber: str, principal: PrincipalDep, session: SessionDep
) -> DeletedOneView:
    """Release one number."""
    return DeletedOneView(
        deleted=await PhoneNumberService(session).delete_number(principal, agentId, phoneNumber)
    )


@router.patch("/{phoneNumber}", response_model=PhoneNumberView, response_model_exclude_none=True)
async def reassign_phone_number(
    agentId: str,
    phoneNumber: str,
    body: ReassignPhoneNumberBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> PhoneNumberView:
    """Route the number to another connector of the agent (it takes that connector's environment)."""
    return await PhoneNumberService(session).reassign(principal, agentId, phoneNumber, body.connector_id)

"""SMS templates of a branch (a parley extension: PolyAI documents the resource but no path)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from parley.auth.deps import PrincipalDep
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.sms_templates.schemas import (
    CreateSmsTemplateBody,
    SmsTemplatesResponse,
    SmsTemplateView,
    UpdateSmsTemplateBody,
)
from parley.sms_templates.service import SmsTemplateService

router = APIRouter(
    prefix="/v1/agents/{agentId}/branches/{branchId}/sms-templates",
    tags=["SMS templates"],
    route_class=make_route_class(),
)


@router.get("", response_model=SmsTemplatesResponse, response_model_exclude_none=True)
async def list_sms_templates(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> SmsTemplatesResponse:
    """List the branch's SMS templates."""
    templates = await SmsTemplateService(session).list(principal, agentId, branchId)
    return SmsTemplatesResponse.model_validate({"smsTemplates": templates})


@router.post(
    "",
    response_model=SmsTemplateView,
    status_code=status.HTTP_201_CREATED,
    response_model_exclude_none=True,
)
async def create_sms_template(
    agentId: str, branchId: str, body: CreateSmsTemplateBody, principal: PrincipalDep, session: SessionDep
) -> SmsTemplateView:
    """Create an SMS template."""
    created = await SmsTemplateService(session).create(principal, agentId, branchId, body)
    return SmsTemplateView.model_validate(created)


@router.get("/{templateId}", response_model=SmsTemplateView, response_model_exclude_none=True)
async def get_sms_template(
    agentId: str, branchId: str, templateId: str, principal: PrincipalDep, session: SessionDep
) -> SmsTemplateView:
    """Get one SMS template."""
    found = await SmsTemplateService(session).get(principal, agentId, branchId, templateId)
    return SmsTemplateView.model_validate(found)


@router.patch("/{templateId}", response_model=SmsTemplateView, response_model_exclude_none=True)
async def update_sms_template(
    agentId: str,
    branchId: str,
    templateId: str,
    body: UpdateSmsTemplateBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> SmsTemplateView:
    """Change an SMS template; fields left out stay as they are."""
    updated = await SmsTemplateService(session).update(principal, agentId, branchId, templateId, body)
    return SmsTemplateView.model_validate(updated)


@router.delete("/{templateId}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_sms_template(
    agentId: str, branchId: str, templateId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete an SMS template (references to it then fail the branch's compile)."""
    await SmsTemplateService(session).delete(principal, agentId, branchId, templateId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Variant attributes and variants of a branch (Agents API spec), plus CSV import and export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from parley.auth.deps import PrincipalDep
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.variants.attributes import AttributeService
from parley.variants.resources import MAX_CSV_BYTES
from parley.variants.schemas import (
    AttributesResponse,
    AttributeView,
    CreateAttributeBody,
    CreateVariantBody,
    DeletedResponse,
    ImportVariantsResponse,
    UpdateAttributeBody,
    UpdateVariantBody,
    VariantsResponse,
    VariantView,
)
from parley.variants.service import VariantService
from parley.variants.transfer import UploadedFile, VariantTransferService

router = APIRouter(
    prefix="/v1/agents/{agentId}/branches/{branchId}", tags=["Variants"], route_class=make_route_class()
)

_DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|", ",": ",", ";": ";", "|": "|"}
Delimiter = Literal["comma", "semicolon", "tab", "pipe", ",", ";", "|"]


@router.get("/attributes", response_model=AttributesResponse)
async def list_attributes(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> AttributesResponse:
    """List the branch's variant attributes."""
    attributes = await AttributeService(session).list(principal, agentId, branchId)
    return AttributesResponse.model_validate({"attributes": attributes})


@router.post("/attributes", response_model=AttributeView, status_code=status.HTTP_201_CREATED)
async def create_attribute(
    agentId: str, branchId: str, body: CreateAttributeBody, principal: PrincipalDep, session: SessionDep
) -> AttributeView:
    """Create a variant attribute (at most 50 per branch)."""
    created = await AttributeService(session).create(principal, agentId, branchId, body.name)
    return AttributeView.model_validate(created)


@router.patch("/attributes/{attributeId}", response_model=AttributeView)
async def update_attribute(
    agentId: str,
    branchId: str,
    attributeId: str,
    body: UpdateAttributeBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> AttributeView:
    """Rename a variant attribute (variants keep their values: they refer to it by id)."""
    updated = await AttributeService(session).rename(principal, agentId, branchId, attributeId, body.name)
    return AttributeView.model_validate(updated)


@router.delete("/attributes/{attributeId}", response_model=DeletedResponse)
async def delete_attribute(
    agentId: str, branchId: str, attributeId: str, principal: PrincipalDep, session: SessionDep
) -> DeletedResponse:
    """Delete a variant attribute and its value in every variant."""
    deleted = await AttributeService(session).delete(principal, agentId, branchId, attributeId)
    return DeletedResponse(id=deleted)


@router.get("/variants", response_model=VariantsResponse)
async def list_variants(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> VariantsResponse:
    """List the branch's variants."""
    variants = await VariantService(session).list(principal, agentId, branchId)
    return VariantsResponse.model_validate({"variants": variants})


@router.post("/variants", response_model=VariantView, status_code=status.HTTP_201_CREATED)
async def create_variant(
    agentId: str, branchId: str, body: CreateVariantBody, principal: PrincipalDep, session: SessionDep
) -> VariantView:
    """Create a variant; the branch's first variant is its default."""
    created = await VariantService(session).create(principal, agentId, branchId, body)
    return VariantView.model_validate(created)


@router.get(
    "/variants/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"}},
)
async def export_variants(
    agentId: str,
    branchId: str,
    principal: PrincipalDep,
    session: SessionDep,
    delimiter: Annotated[Delimiter, Query()] = "comma",
) -> Response:
    """Export the branch's variants as CSV: id, name, is_default, attribute_<name>..."""
    text = await VariantTransferService(session).export_csv(
        principal, agentId, branchId, _DELIMITERS[delimiter]
    )
    return Response(
        content=text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="variants.csv"'},
    )


@router.post("/variants/import", response_model=ImportVariantsResponse)
async def import_variants(
    agentId: str,
    branchId: str,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    file: Annotated[UploadFile | None, File(description="The CSV file (UTF-8).")] = None,
) -> ImportVariantsResponse:
    """Create and update variants from a CSV file, all or nothing."""
    upload = None
    if file is not None:
        # One byte past the limit is enough to know the file is too large.
        data = await file.read(MAX_CSV_BYTES + 1)
        upload = UploadedFile(filename=file.filename or "", content_type=file.content_type, data=data)
    counts = await VariantTransferService(session).import_csv(
        principal, agentId, branchId, request.headers.get("content-type"), upload
    )
    return ImportVariantsResponse(
        created=counts.created, updated=counts.updated, attributes_created=counts.attributes_created
    )


@router.patch("/variants/{variantId}", response_model=VariantView)
async def update_variant(
    agentId: str,
    branchId: str,
    variantId: str,
    body: UpdateVariantBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> VariantView:
    """Rename a variant, replace its attribute values, or make it the default."""
    updated = await VariantService(session).update(principal, agentId, branchId, variantId, body)
    return VariantView.model_validate(updated)


@router.delete("/variants/{variantId}", response_model=DeletedResponse)
async def delete_variant(
    agentId: str, branchId: str, variantId: str, principal: PrincipalDep, session: SessionDep
) -> DeletedResponse:
    """Delete a variant (not the default one)."""
    deleted = await VariantService(session).delete(principal, agentId, branchId, variantId)
    return DeletedResponse(id=deleted)

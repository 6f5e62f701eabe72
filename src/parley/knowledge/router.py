"""Knowledge-base topics of a branch, per the Agents API spec, plus CSV import and export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from parley.auth.deps import PrincipalDep
from parley.errors import KnowledgeBaseTopicsInvalid
from parley.kit.db import SessionDep
from parley.kit.http import make_route_class
from parley.knowledge.schemas import CreateTopicBody, ImportResult, Topic, UpdateTopicBody
from parley.knowledge.service import TopicService
from parley.knowledge.upload import FIELD, read_upload

router = APIRouter(
    prefix="/v1/agents/{agentId}/branches/{branchId}/knowledge-base",
    tags=["Knowledge Base"],
    route_class=make_route_class(KnowledgeBaseTopicsInvalid),
)

# The import reads its multipart body itself (read_upload), so its body is described here.
_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                    "required": [FIELD],
                }
            }
        },
    }
}
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The branch's topics as CSV",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get("/topics", response_model=list[Topic])
async def list_topics(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> list[Topic]:
    """List the branch's knowledge-base topics, oldest first."""
    documents = await TopicService(session).list(principal, agentId, branchId)
    return [Topic.model_validate(document) for document in documents]


@router.post("/topics", response_model=Topic, status_code=status.HTTP_201_CREATED)
async def create_topic(
    agentId: str, branchId: str, body: CreateTopicBody, principal: PrincipalDep, session: SessionDep
) -> Topic:
    """Create a topic; its name is unique in the branch."""
    return Topic.model_validate(await TopicService(session).create(principal, agentId, branchId, body))


@router.get("/topics/{topicId}", response_model=Topic)
async def get_topic(
    agentId: str, branchId: str, topicId: str, principal: PrincipalDep, session: SessionDep
) -> Topic:
    """Get one topic."""
    return Topic.model_validate(await TopicService(session).get(principal, agentId, branchId, topicId))


@router.patch("/topics/{topicId}", status_code=status.HTTP_204_NO_CONTENT)
async def update_topic(
    agentId: str,
    branchId: str,
    topicId: str,
    body: UpdateTopicBody,
    principal: PrincipalDep,
    session: SessionDep,
) -> Response:
    """Change any of a topic's fields."""
    await TopicService(session).update(principal, agentId, branchId, topicId, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/topics/{topicId}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_topic(
    agentId: str, branchId: str, topicId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """Delete a topic."""
    await TopicService(session).delete(principal, agentId, branchId, topicId)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/import", response_model=ImportResult, openapi_extra=_IMPORT_BODY)
async def import_topics(
    agentId: str, branchId: str, request: Request, principal: PrincipalDep, session: SessionDep
) -> ImportResult:
    """Create or update topics (matched by name) from a CSV file; all rows or none."""
    outcome = await TopicService(session).import_csv(principal, agentId, branchId, await read_upload(request))
    return ImportResult(
        created=outcome.created,
        updated=outcome.updated,
        topics=[Topic.model_validate(document) for document in outcome.topics],
    )


@router.get("/export", response_class=Response, responses=_CSV_RESPONSE)
async def export_topics(
    agentId: str, branchId: str, principal: PrincipalDep, session: SessionDep
) -> Response:
    """The branch's topics as a CSV file that the import reads back unchanged."""
    export = await TopicService(session).export_csv(principal, agentId, branchId)
    return Response(
        content=export.text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )

"""The OpenAPI document says what parley answers: 400 + the envelope, never FastAPI's 422."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema

from parley.kit.context import CORRELATION_HEADER
from parley.kit.openapi import ENVELOPE_SCHEMA, rewrite_validation_responses

METHODS = ("get", "put", "post", "delete", "patch")


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def test_no_operation_documents_a_422(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    operations = [
        (path, method, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]
    assert len(operations) > 100
    assert [(p, m) for p, m, op in operations if "422" in op.get("responses", {})] == []
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorEnvelope"] == ENVELOPE_SCHEMA


async def test_operations_with_input_document_the_envelope_as_their_400(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    respond = document["paths"]["/{version}/{account_id}/{project_id}/chat/respond"]["post"]
    assert respond["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }
    # /health takes no input: nothing to fail validation, so no 400 is invented for it.
    assert "400" not in document["paths"]["/health"]["get"]["responses"]


async def test_a_real_validation_error_matches_the_documented_schema(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/default/linden-hotel/chat/respond", headers=admin, json={"conversation_id": 5}
    )
    assert response.status_code == 400
    jsonschema.validate(response.json(), ENVELOPE_SCHEMA)
    assert response.json()["error"]["correlation_id"] == response.headers[CORRELATION_HEADER]


def test_a_422_a_route_documents_itself_is_kept() -> None:
    real = {
        "description": "Main is read-only",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    fastapi_default = {
        "description": "Validation Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
    }
    document = {
        "paths": {
            "/a": {"put": {"responses": {"422": real}}},
            "/b": {"post": {"responses": {"422": fastapi_default}}},
        },
        "components": {"schemas": {"HTTPValidationError": {}, "ValidationError": {}}},
    }
    rewritten = rewrite_validation_responses(document)
    assert rewritten["paths"]["/a"]["put"]["responses"] == {"422": real}
    assert set(rewritten["paths"]["/b"]["post"]["responses"]) == {"400"}
    assert set(rewritten["components"]["schemas"]) == {"ErrorEnvelope"}

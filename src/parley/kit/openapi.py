"""The OpenAPI document as parley really answers: validation errors are 400 with the envelope.

FastAPI documents a 422 ``HTTPValidationError`` on every route that takes input, but parley's
route class turns validation failures into the domain's catalogue error (status 400) and every
error into the one envelope. Clients generated from the document must see that, not FastAPI's
default.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ENVELOPE_SCHEMA_NAME = "ErrorEnvelope"
_ENVELOPE_REF = {"$ref": f"#/components/schemas/{ENVELOPE_SCHEMA_NAME}"}
_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")

ENVELOPE_SCHEMA: dict[str, Any] = {
    "title": ENVELOPE_SCHEMA_NAME,
    "description": "Every error parley answers, whatever the status (see docs/errors.md).",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "id", "message", "correlation_id"],
            "properties": {
                "code": {"type": "string", "description": "The catalogue code, e.g. PROJECT_NOT_FOUND."},
                "id": {"type": "integer", "description": "The catalogue's numeric id of the code."},
                "message": {"type": "string"},
                "correlation_id": {
                    "type": "string",
                    "description": "Also sent as the X-PolyAI-Correlation-Id header.",
                },
                "data": {"type": "object", "description": "Details, e.g. the fields that failed."},
            },
        }
    },
}


def rewrite_validation_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Replaces FastAPI's 422 responses by parley's 400 envelope, in place; returns the document."""
    for path_item in document.get("paths", {}).values():
        for method in _METHODS:
            operation = path_item.get(method)
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if _is_fastapi_validation(responses.get("422")):
                del responses["422"]
                responses.setdefault(
                    "400",
                    {
                        "description": "The request failed validation (the domain's validation code).",
                        "content": {"application/json": {"schema": dict(_ENVELOPE_REF)}},
                    },
                )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas[ENVELOPE_SCHEMA_NAME] = ENVELOPE_SCHEMA
    return document


def _is_fastapi_validation(response: Any) -> bool:
    # Only FastAPI's generated default: a 422 a route documents itself (a real catalogue error
    # such as BRANCH_MAIN_READ_ONLY) stays.
    if not isinstance(response, dict):
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = rewrite_validation_responses(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""The route class every router uses, and the handlers that render errors as the envelope."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from parley import errors
from parley.errors import (
    MethodNotAllowed,
    ParleyError,
    ResourceNotFound,
    SchemaValidationFailed,
    UnsupportedMediaType,
    by_status,
)
from parley.kit.context import current_correlation_id
from parley.kit.db import close_request_session, commit_request_session

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _json_pointer(loc: Sequence[Any]) -> str:
    # FastAPI prefixes the location with where it came from ("body", "query", ...).
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in loc]
    return "/" + "/".join(parts)


def validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    details: list[dict[str, Any]] = []
    for err in errors:
        loc = list(err.get("loc", ()))
        detail = {
            "path": _json_pointer(loc),
            "message": str(err.get("msg", "invalid value")),
            "type": str(err.get("type", "value_error")),
        }
        # FastAPI validates a body once per dependant that declares it (the chat routes' lock
        # dependency reads the conversation id from it too): one problem is reported once.
        if detail not in details:
            details.append(detail)
    return details


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def make_route_class(validation_error: type[ParleyError] = SchemaValidationFailed) -> type[APIRoute]:
    """A route class that enforces JSON bodies, maps validation errors, and commits the session.

    ``validation_error`` is the domain's own validation code (CONTRACT.md: a domain with its own
    code uses it for malformed and invalid bodies alike).
    """

    class ParleyRoute(APIRoute):
        domain_validation_error = validation_error

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()
            expects_json = self.body_field is not None and not _route_takes_form(self)

            async def parley_handler(request: Request) -> Response:
                # PostgreSQL cannot hold U+0000: such an id can name nothing, such a value is invalid.
                for name, value in request.path_params.items():
                    if "\x00" in value:
                        raise _NUL_PATH_ERRORS.get(name, ResourceNotFound)(
                            f"'{name}' names nothing that exists."
                        )
                bad_query = [
                    key for key, value in request.query_params.multi_items() if "\x00" in key + value
                ]
                if bad_query:
                    raise self.domain_validation_error(
                        "Query parameters must not contain NUL (U+0000) characters.",
                        data={
                            "errors": [
                                {"path": f"/query/{k}", "message": "contains a NUL character"}
                                for k in bad_query
                            ]
                        },
                    )
                if expects_json and request.method in _BODY_METHODS:
                    await _require_json_content_type(request)
                    await _refuse_nul_characters(request, self.domain_validation_error)
                try:
                    response = await handler(request)
                except RequestValidationError as exc:
                    raise _validation_error(self.domain_validation_error, exc) from None
                except ParleyError as exc:
                    if exc.persist:
                        await commit_request_session(request)
                    raise
                else:
                    # Commit before the response leaves: a failed commit must not look like success.
                    await commit_request_session(request)
                    return response
                finally:
                    await close_request_session(request)

            return parley_handler

    return ParleyRoute


# The not-found error of the resource each path parameter names, for ids that cannot exist.
_NUL_PATH_ERRORS: dict[str, type[ParleyError]] = {
    "accountId": errors.AccountNotFound,
    "account_id": errors.AccountNotFound,
    "agentId": errors.ProjectNotFound,
    "project_id": errors.ProjectNotFound,
    "branchId": errors.BranchNotFound,
    "userId": errors.AuthUserNotFound,
    "keyId": errors.ApiKeyNotFound,
    "topicId": errors.KnowledgeBaseTopicNotFound,
    "flowId": errors.FlowNotFound,
    "stepId": errors.FlowStepNotFound,
    "functionId": errors.FunctionNotFound,
    "entityId": errors.EntityNotFound,
    "handoffId": errors.HandoffNotFound,
    "templateId": errors.SmsTemplateNotFound,
    "variantId": errors.VariantNotFound,
    "attributeId": errors.AttributeNotFound,
    "deploymentId": errors.DeploymentNotFound,
    "conversationId": errors.ConversationsNotFound,
    "connectorId": errors.ConnectorsNotFound,
    "phoneNumber": errors.PhoneNumbersInvalidPhoneNumberFormat,
    "clientEnv": errors.RealTimeConfigUnknownClientEnvironment,
    "testCaseId": errors.TestCaseNotFound,
    "testRunId": errors.TestRunNotFound,
    "messageId": errors.SmsMessageNotFound,
}


def _route_takes_form(route: APIRoute) -> bool:
    from fastapi.params import Form

    field = route.body_field
    if field is None:
        return False
    info = getattr(field, "field_info", None)
    return isinstance(info, Form)


async def _require_json_content_type(request: Request) -> None:
    content_type = request.headers.get("content-type")
    if content_type is None:
        body = await request.body()
        if not body:
            return
        raise UnsupportedMediaType("Send the body as JSON with 'Content-Type: application/json'.")
    if not _is_json(content_type):
        raise UnsupportedMediaType(
            f"This endpoint takes 'application/json', not '{content_type.split(';', 1)[0][:100]}'.",
        )


async def _refuse_nul_characters(request: Request, error_cls: type[ParleyError]) -> None:
    """PostgreSQL cannot store U+0000 in text or JSON, so no store may ever be handed one."""
    body = await request.body()
    if b"\\u0000" not in body and b"\x00" not in body:
        return
    try:
        document = json.loads(body)
    except ValueError:
        return  # the framework reports malformed JSON itself
    paths = [path for path in _nul_paths(document, "/body")]
    if paths:
        raise error_cls(
            "Text must not contain NUL (U+0000) characters.",
            data={
                "errors": [
                    {"path": p, "message": "contains a NUL character", "type": "string_nul"} for p in paths
                ]
            },
        )


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            pointer = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
            found += [pointer] if "\x00" in str(key) else []
            found += _nul_paths(item, pointer)
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _nul_paths(item, f"{path}/{i}")]
    return []


def _validation_error(error_cls: type[ParleyError], exc: RequestValidationError) -> ParleyError:
    errors = exc.errors()
    if any(err.get("type") == "json_invalid" for err in errors):
        return error_cls("The request body is not valid JSON.", data={"errors": validation_details(errors)})
    return error_cls(data={"errors": validation_details(errors)})


def _allowed_methods(request: Request) -> list[str]:
    """Every method any route serves at this path (Starlette reports only the first route's)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and isinstance(route, APIRoute):
            methods |= route.methods or set()
    return sorted(methods)


def _render(error: ParleyError) -> JSONResponse:
    return JSONResponse(
        error.envelope(current_correlation_id()), status_code=error.status, headers=error.headers
    )


async def _handle_parley_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ParleyError)
    return _render(exc)


async def _handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, ParleyError):
        return _render(exc.__cause__)
    error_cls = by_status(exc.status_code)
    if error_cls is MethodNotAllowed:
        allow = ", ".join(_allowed_methods(request))
        return _render(
            MethodNotAllowed(
                f"{request.method} is not supported here. Allowed: {allow or 'none'}.",
                headers={"Allow": allow} if allow else None,
            )
        )
    if exc.status_code == 404:
        return _render(error_cls(f"No resource exists at '{request.url.path[:200]}'."))
    if exc.status_code == 400:
        return _render(SchemaValidationFailed("The request body could not be parsed."))
    return _render(error_cls())


async def _handle_validation_error(_request: Request, exc: Exception) -> Response:
    # Reached only by requests that did not pass through a ParleyRoute (should not happen).
    assert isinstance(exc, RequestValidationError)
    return _render(_validation_error(SchemaValidationFailed, exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ParleyError, _handle_parley_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)

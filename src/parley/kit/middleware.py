"""Pure ASGI middleware: request context, body limits, maintenance mode.

Pure ASGI (not BaseHTTPMiddleware) so that nothing buffers streaming bodies and so that the
outermost layer can still answer with the envelope when everything inside it has failed.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley.errors import (
    InternalServerError,
    ParleyError,
    PayloadTooLarge,
    RequestTimeout,
    ServiceUnavailable,
)
from parley.kit.context import CORRELATION_HEADER, choose_correlation_id, correlation_id_var
from parley.kit.logging import get_logger

log = get_logger("parley.http")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            try:
                return str(value.decode("latin-1"))
            except UnicodeDecodeError:
                return None
    return None


async def send_error(send: Send, error: ParleyError, correlation_id: str) -> None:
    """Send the envelope; ``send`` must be RequestContextMiddleware's, which adds the header."""
    body = json.dumps(error.envelope(correlation_id)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Correlation id, access log, request time limit, and the last-resort 500 envelope."""

    def __init__(self, app: ASGIApp, request_timeout_seconds: float) -> None:
        self.app = app
        self.timeout = request_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        correlation_id = choose_correlation_id(_header(scope, CORRELATION_HEADER.lower().encode()))
        token = correlation_id_var.set(correlation_id)
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        if scope["type"] == "websocket":
            try:
                await self.app(scope, receive, send)
            finally:
                correlation_id_var.reset(token)
            return

        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": None}

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((CORRELATION_HEADER.encode(), correlation_id.encode()))
                extra = scope.get("state", {}).get("response_headers") or {}
                headers += [(k.lower().encode(), str(v).encode()) for k, v in extra.items()]
                message = {**message, "headers": headers}
            await send(message)

        try:
            async with asyncio.timeout(self.timeout):
                await self.app(scope, receive, send_with_context)
        except TimeoutError:
            if status_holder["status"] is None:
                await send_error(send_with_context, RequestTimeout(), correlation_id)
            log.warning("request timed out", path=scope["path"], method=scope["method"])
        except Exception:
            # The log keeps the traceback, keyed by correlation id; the client sees nothing internal.
            log.exception("unhandled error", path=scope["path"], method=scope["method"])
            if status_holder["status"] is None:
                await send_error(send_with_context, InternalServerError(), correlation_id)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status_holder["status"],
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            correlation_id_var.reset(token)


class BodyLimitMiddleware:
    """Refuses bodies over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = scope.get("state", {}).get("correlation_id", "")
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await send_error(send, self._error(), correlation_id)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Raised inside the app's body read, so the app's error handlers render it
                    # (frameworks that wrap read errors keep it as the cause).
                    raise self._error()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge as error:
            if response_started:
                raise
            await send_error(send, error, correlation_id)

    def _error(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The request body is larger than {self.max_body_bytes} bytes.",
            data={"maxBytes": self.max_body_bytes},
        )


class MaintenanceMiddleware:
    """While maintenance mode is on, every request but the health check gets 503 + Retry-After."""

    EXEMPT_PATHS = ("/health",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        maintenance = scope["app"].state.maintenance
        state = await maintenance.current()
        if state is not None and scope["type"] == "http":
            retry_after = str(max(1, int(state.retry_after_seconds)))
            error = ServiceUnavailable(
                state.message or "parley is in maintenance mode. Retry later.",
                headers={"Retry-After": retry_after},
            )
            await send_error(send, error, scope.get("state", {}).get("correlation_id", ""))
            return
        await self.app(scope, receive, send)

"""The webchat WebSocket: ``GET /ws?session_id=…&access_token=…[&cursor=N]``.

Handshake failures are HTTP responses carrying the error envelope (ASGI's WebSocket denial
response, which uvicorn and Starlette's test client support). A server without it gets a close
frame instead, with code 4000 + the HTTP status and the error code as the reason.
"""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from typing import cast

import anyio
from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse

from parley.chat.deps import runtime_deps
from parley.errors import ParleyError, RateLimitExceeded, ServiceUnavailable
from parley.kit.context import CORRELATION_HEADER, current_correlation_id
from parley.kit.logging import get_logger
from parley.messaging.dispatch import Dispatcher, Emit
from parley.messaging.hub import channel, hub_of
from parley.messaging.service import MessagingService
from parley.messaging.socket import WebchatSocket
from parley.models import MessagingSession

router = APIRouter(tags=["Messaging"])
log = get_logger("parley.messaging")
CLEANUP_TIMEOUT_SECONDS = 5.0


async def _deny(websocket: WebSocket, error: ParleyError) -> None:
    correlation_id = current_correlation_id()
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        response = JSONResponse(
            error.envelope(correlation_id),
            status_code=error.status,
            headers={CORRELATION_HEADER: correlation_id, **error.headers},
        )
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=4000 + error.status, reason=error.spec.code)


@router.websocket("/ws")
async def webchat_socket(websocket: WebSocket) -> None:
    """Replays the session's events, then carries client and server events (docs/webchat.md)."""
    state = websocket.app.state
    settings = state.settings
    hub = hub_of(state)
    params = websocket.query_params
    maintenance = await state.maintenance.current()
    if maintenance is not None:
        retry_after = str(max(1, int(maintenance.retry_after_seconds)))
        message = maintenance.message or "parley is in maintenance mode. Retry later."
        await _deny(websocket, ServiceUnavailable(message, headers={"Retry-After": retry_after}))
        return
    try:
        async with state.sessionmaker() as session:
            messaging_session: MessagingSession = await MessagingService(
                session, settings.messaging, hub.secret
            ).socket_session(params.get("session_id"), params.get("access_token"))
    except ParleyError as error:
        await _deny(websocket, error)
        return

    session_id = messaging_session.id
    connection_id = str(uuid.uuid4())
    limit = settings.messaging.max_connections_per_session
    if not await hub.connections.acquire(session_id, connection_id, limit):
        await _deny(
            websocket,
            RateLimitExceeded(
                "connection limit exceeded for session",
                data={"maxConnections": limit},
                headers={"Retry-After": "5"},
            ),
        )
        return

    def make_dispatcher(emit: Emit, reply: Emit) -> Dispatcher:
        return Dispatcher(
            session_id=session_id,
            sessionmaker=state.sessionmaker,
            locks=state.locks,
            # runtime_deps reads only ``.app.state``, which a WebSocket has as a Request does.
            deps=runtime_deps(cast(Request, websocket)),
            settings=settings,
            emit=emit,
            reply=reply,
        )

    try:
        async with AsyncExitStack() as stack:
            try:
                # Subscribed before the replay is read, so nothing published in between is missed.
                subscription = await stack.enter_async_context(hub.pubsub.subscribe(channel(session_id)))
            except Exception:
                log.exception("messaging subscription failed", session_id=session_id)
                unavailable = ServiceUnavailable(
                    "Live delivery is unavailable; retry shortly.", headers={"Retry-After": "5"}
                )
                await _deny(websocket, unavailable)
                return
            await websocket.accept()
            socket = WebchatSocket(websocket, hub, settings, session_id, connection_id, make_dispatcher)
            await socket.serve(subscription, params.get("cursor"))
    finally:
        # Shielded: a server shutting down cancels us, and a leaked registration would count
        # against the session's limit until it went stale.
        with anyio.CancelScope(shield=True), anyio.move_on_after(CLEANUP_TIMEOUT_SECONDS):
            await hub.connections.release(session_id, connection_id)

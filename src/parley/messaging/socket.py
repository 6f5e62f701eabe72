"""One webchat WebSocket connection: replay, live delivery, client events, liveness.

Every journaled event carries the session's sequence number. A socket remembers the last one it
sent and never sends one twice; when one arrives past a gap (published by another worker ahead
of an earlier one, or lost by the broker) the missing ones are read from the journal first, so a
client sees each event once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from parley.config import Settings
from parley.errors import WS_CLOSE_NORMAL, WS_CLOSE_PONG_TIMEOUT, ParleyError
from parley.kit.context import choose_correlation_id, correlation_id_var
from parley.kit.logging import get_logger
from parley.kit.pubsub import Subscription
from parley.messaging import events as ev
from parley.messaging.dispatch import Dispatcher, Emit
from parley.messaging.events import ClientGone, Refusal, parse_client_event, system_error
from parley.messaging.hub import MessagingHub
from parley.messaging.journal import Journal
from parley.messaging.repository import MessagingRepository

log = get_logger("parley.messaging")

PONG_TIMEOUT_REASON = "pong timeout"
WS_CLOSE_INTERNAL_ERROR = 1011
_GAP_PAGE = 500

DispatcherFactory = Callable[[Emit, Emit], Dispatcher]


@dataclass(frozen=True)
class Closing:
    code: int | None  # None: the client went away, there is nothing to send
    reason: str = ""


def parse_cursor(raw: str | None) -> int | None:
    """The last sequence the client saw: ``N`` or the legacy ``seq:N``; None when absent or invalid."""
    if raw is None:
        return None
    value = raw.strip().removeprefix("seq:")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


class WebchatSocket:
    def __init__(
        self,
        websocket: WebSocket,
        hub: MessagingHub,
        settings: Settings,
        session_id: str,
        connection_id: str,
        make_dispatcher: DispatcherFactory,
    ) -> None:
        self.websocket = websocket
        self.hub = hub
        self.settings = settings
        self.session_id = session_id
        self.connection_id = connection_id
        self.sessionmaker = websocket.app.state.sessionmaker
        self.last_sequence = 0
        self.session_over = False
        self._send_lock = asyncio.Lock()
        self._refreshed_at = time.monotonic()
        self.dispatcher = make_dispatcher(self.emit, self.reply)

    async def serve(self, subscription: Subscription, cursor_param: str | None) -> None:
        """After accept: replay, then live events and client events until one side closes."""
        try:
            await self._expire_if_idle()
            await self._replay(cursor_param)
            closing = Closing(WS_CLOSE_NORMAL) if self.session_over else await self._run(subscription)
        except ClientGone:
            closing = Closing(None)
        except Exception:
            log.exception("messaging socket failed", session_id=self.session_id)
            closing = Closing(WS_CLOSE_INTERNAL_ERROR, "internal error")
        await self._close(closing)

    async def _expire_if_idle(self) -> None:
        try:
            ended = await self.dispatcher.expire_if_idle()
        except ParleyError:
            # Busy with another socket's event: that one is activity, so the session is not idle.
            return
        if ended:
            await self.hub.publish(self.session_id, self.connection_id, ended)

    async def _run(self, subscription: Subscription) -> Closing:
        reader = asyncio.create_task(self._read())
        listener = asyncio.create_task(self._listen(subscription))
        try:
            done, _ = await asyncio.wait({reader, listener}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, listener):
                task.cancel()
            # Not gather: cancelled while gathering, it would re-raise a child's CancelledError in
            # place of our own, and the server (or anyio) could no longer tell it cancelled us.
            await asyncio.wait({reader, listener})
        finished = reader if reader in done else listener
        error = finished.exception()
        if error is not None:
            raise error
        return finished.result()

    async def _close(self, closing: Closing) -> None:
        if closing.code is None or self.websocket.application_state != WebSocketState.CONNECTED:
            return
        # The client may leave while we close.
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self.websocket.close(code=closing.code, reason=closing.reason)

    # --- reading ----------------------------------------------------------------------------------

    async def _read(self) -> Closing:
        """Client frames until the client leaves, goes quiet too long, or the session ends."""
        timeout = self.settings.messaging.heartbeat_timeout_seconds
        while True:
            try:
                async with asyncio.timeout(timeout):
                    message = await self.websocket.receive()
            except TimeoutError:
                log.info("messaging socket silent too long", session_id=self.session_id)
                return Closing(WS_CLOSE_PONG_TIMEOUT, PONG_TIMEOUT_REASON)
            if message["type"] == "websocket.disconnect":
                return Closing(None)
            await self._refresh_registration()
            # Each frame is traced like an HTTP request: its own correlation id in logs and errors.
            token = correlation_id_var.set(choose_correlation_id(None))
            try:
                frame = message.get("text")
                try:
                    event = parse_client_event(
                        frame if frame is not None else message.get("bytes"),
                        self.settings.messaging.max_message_bytes,
                    )
                except Refusal as refusal:
                    await self.reply([system_error(refusal.text, refusal.error, refusal.metadata)])
                    continue
                await self.dispatcher.handle(event)
            finally:
                correlation_id_var.reset(token)
            if self.session_over:
                return Closing(WS_CLOSE_NORMAL)

    async def _refresh_registration(self) -> None:
        now = time.monotonic()
        if now - self._refreshed_at >= self.settings.messaging.heartbeat_timeout_seconds / 3:
            self._refreshed_at = now
            await self.hub.connections.refresh(self.session_id, self.connection_id)

    # --- sending ----------------------------------------------------------------------------------

    async def _listen(self, subscription: Subscription) -> Closing:
        """What other sockets of the session (on any worker) emitted."""
        while True:
            message = json.loads(await subscription.get())
            if message.get("origin") == self.connection_id:
                continue
            await self._deliver(list(message.get("events") or []))
            if self.session_over:
                return Closing(WS_CLOSE_NORMAL)

    async def emit(self, events: list[dict[str, Any]]) -> None:
        """Send to this socket now, and to the session's other sockets through the hub."""
        if not events:
            return
        await self._deliver(events)
        try:
            await self.hub.publish(self.session_id, self.connection_id, events)
        except Exception:
            # Journaled events still reach the other sockets: they fill the gap with their next
            # event or on reconnect. Transient ones (thinking) are lost, as transient allows.
            log.exception("messaging publish failed", session_id=self.session_id)

    async def reply(self, events: list[dict[str, Any]]) -> None:
        """Send to this socket only (heartbeat echoes, errors about this client's own frames)."""
        await self._deliver(events)

    async def _deliver(self, events: list[dict[str, Any]]) -> None:
        async with self._send_lock:
            for event in events:
                sequence = event.get("sequence")
                if sequence is not None:
                    if sequence <= self.last_sequence:
                        continue
                    if sequence > self.last_sequence + 1:
                        await self._fill_gap(sequence)
                    self.last_sequence = sequence
                await self._send(event)

    async def _fill_gap(self, before: int) -> None:
        while self.last_sequence < before - 1:
            async with self.sessionmaker() as session:
                journal = Journal(session)
                missing = await journal.after(self.session_id, self.last_sequence, _GAP_PAGE, before)
            if not missing:
                return
            for event in missing:
                self.last_sequence = int(event["sequence"])
                await self._send(event)

    async def _send(self, event: dict[str, Any]) -> None:
        if self.session_over:
            return  # SESSION_END is the last thing a client receives
        try:
            await self.websocket.send_text(json.dumps(event, separators=(",", ":")))
        except (WebSocketDisconnect, RuntimeError, OSError):
            raise ClientGone from None
        if event.get("type") == ev.SESSION_END:
            self.session_over = True

    # --- replay -----------------------------------------------------------------------------------

    async def _replay(self, cursor_param: str | None) -> None:
        """Everything after the client's cursor, in batches: at least one batch, possibly empty."""
        size = self.settings.messaging.replay_batch_size
        async with self._send_lock, self.sessionmaker() as session:
            journal = Journal(session)
            last = await journal.last_sequence(self.session_id)
            cursor = parse_cursor(cursor_param)
            if cursor_param is not None and (cursor is None or cursor > last):
                log.warning(
                    "invalid messaging cursor, replaying from 0",
                    session_id=self.session_id,
                    cursor=cursor_param[:40],
                )
                cursor = None
            after = cursor or 0
            sent_any = False
            while True:
                page = await journal.after(self.session_id, after, size)
                if page or not sent_any:
                    await self._send(ev.batch(page))
                    sent_any = True
                if page:
                    after = int(page[-1]["sequence"])
                    self.session_over = any(e["type"] == ev.SESSION_END for e in page)
                if len(page) < size:
                    break
            self.last_sequence = after
            found = await MessagingRepository(session).get_session(self.session_id)
            if found is None or found.status != "active":
                # The client saw SESSION_END before (its cursor is past it): nothing else will come.
                self.session_over = True

"""Handling one client event: locks, transactions, and handing the resulting events out.

Each step commits before its events are sent, so that whatever a client sees can be replayed.
The steps of one event run under the session's lock (shared by every worker when Redis is
configured) and, once there is a conversation, under the same per-conversation lock the Chat API
takes, so two sockets, or a socket and the Chat API, never interleave turns.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.chat.runtime import RuntimeDeps
from parley.config import Settings
from parley.errors import ChatConversationEnded, ChatTimeout, InternalServerError, ParleyError
from parley.kit.db import utcnow
from parley.kit.locks import LockStore
from parley.kit.logging import get_logger
from parley.messaging import events as ev
from parley.messaging.conversation import WebchatConversation, reply_failure_text
from parley.messaging.events import ClientEvent, ClientGone, Refusal, server_event, system_error
from parley.messaging.repository import MessagingRepository
from parley.models import MessagingSession

log = get_logger("parley.messaging")

Events = list[dict[str, Any]]
Emit = Callable[[Events], Awaitable[None]]
Step = Callable[[WebchatConversation, MessagingSession], Awaitable[Events]]


class Dispatcher:
    def __init__(
        self,
        *,
        session_id: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        locks: LockStore,
        deps: RuntimeDeps,
        settings: Settings,
        emit: Emit,
        reply: Emit,
    ) -> None:
        """``emit`` sends to this socket and every other socket of the session; ``reply`` to this one."""
        self.session_id = session_id
        self.sessionmaker = sessionmaker
        self.locks = locks
        self.deps = deps
        self.settings = settings
        self.emit = emit
        self.reply = reply
        self._touched_at = time.monotonic()
        # Heartbeats keep the session alive without writing to the database on every one of them.
        self._touch_every = min(10.0, settings.messaging.session_idle_seconds / 10)

    async def handle(self, event: ClientEvent) -> None:
        try:
            if event.type == ev.HEARTBEAT:
                await self.reply([server_event(ev.HEARTBEAT, {}, metadata=event.metadata)])
                await self.touch()
            elif event.type == ev.USER_TYPING:
                # Nobody to tell: there is no live agent on parley's side. Still counts as activity.
                await self.touch()
            elif event.type == ev.REQUEST_POLY_AGENT_JOIN:
                await self._join(event)
            elif event.type == ev.USER_MESSAGE:
                await self._message(event)
            elif event.type == ev.USER_END_SESSION:
                await self._end(event)
        except ClientGone:
            raise
        except Refusal as refusal:
            await self.reply([system_error(refusal.text, refusal.error, event.metadata)])
        except ParleyError as error:
            await self.reply([system_error(reply_failure_text(error), error, event.metadata)])
        except Exception:
            log.exception("messaging event failed", session_id=self.session_id, event_type=event.type)
            await self.reply([system_error(ev.TEXT_GENERIC, InternalServerError(), event.metadata)])

    async def expire_if_idle(self) -> Events:
        """Run at connect: a session idle past its limit ends (REASON_USER_ABANDONED) before replay.

        Returns the events for the caller to publish; its own client gets them through the replay.
        """
        async with self._locked():
            return await self._step(lambda c, ms: c.expire_if_idle(ms))

    async def touch(self) -> None:
        now = time.monotonic()
        if now - self._touched_at < self._touch_every:
            return
        self._touched_at = now
        async with self.sessionmaker() as session:
            await MessagingRepository(session).touch(self.session_id, utcnow())
            await session.commit()

    # --- the three journaled client events ---------------------------------------------------------

    async def _join(self, event: ClientEvent) -> None:
        async with self._locked():
            await self.emit(await self._step(lambda c, ms: c.accept_join(ms, event)))
            await self.emit([server_event(ev.POLY_AGENT_THINKING, {})])
            try:
                greeting = await self._step(lambda c, ms: c.greet(ms))
            except ClientGone:
                raise
            except Exception as failure:
                if isinstance(failure, Refusal):
                    refusal = failure
                else:
                    log.exception("messaging greeting failed", session_id=self.session_id)
                    refusal = Refusal(ev.TEXT_CANNOT_START, InternalServerError())
                await self.reply([system_error(refusal.text, refusal.error, event.metadata)])
                # The agent announced itself: it must be seen leaving, so that a new join may follow.
                await self.emit(await self._step(lambda c, ms: c.join_failed(ms)))
                return
            await self.emit(greeting)

    async def _message(self, event: ClientEvent) -> None:
        async with self._locked():
            await self.emit(await self._step(lambda c, ms: c.accept_message(ms, event)))
            await self.emit([server_event(ev.POLY_AGENT_THINKING, {})])
            text = str(event.payload["text"])
            try:
                replied = await self._step(lambda c, ms: c.reply(ms, text))
            except Refusal as refusal:
                await self.reply([system_error(refusal.text, refusal.error, event.metadata)])
                reason = _ending_reason(refusal.error)
                if reason is not None:
                    # The conversation is over (timed out, or closed elsewhere): so is the session.
                    await self.emit(await self._step(lambda c, ms: c.finish(ms, reason)))
                return
            await self.emit(replied)

    async def _end(self, event: ClientEvent) -> None:
        async with self._locked():
            await self.emit(await self._step(lambda c, ms: c.end_by_user(ms, event)))

    # --- plumbing ---------------------------------------------------------------------------------

    async def _step(self, step: Step) -> Events:
        """One transaction: run the step, commit, return its events (to send only after commit)."""
        async with self.sessionmaker() as session:
            conversation = WebchatConversation(session, self.deps, self.settings.messaging)
            try:
                events = await step(conversation, await conversation.load(self.session_id))
            except Refusal as refusal:
                # Some failures are state changes to keep (a conversation found timed out is ended).
                if refusal.error.persist:
                    await session.commit()
                else:
                    await session.rollback()
                raise
            await session.commit()
            return events

    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        wait = self.settings.runtime.lock_wait_seconds
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(self.locks.lock(f"messaging-session:{self.session_id}", wait))
            async with self.sessionmaker() as session:
                conversation_id = await WebchatConversation(
                    session, self.deps, self.settings.messaging
                ).conversation_id(self.session_id)
            if conversation_id is not None:
                await stack.enter_async_context(self.locks.lock(f"conversation:{conversation_id}", wait))
            yield


def _ending_reason(error: ParleyError) -> str | None:
    if isinstance(error, ChatTimeout):
        return ev.REASON_USER_ABANDONED
    if isinstance(error, ChatConversationEnded):
        return ev.REASON_NATURAL_END
    return None

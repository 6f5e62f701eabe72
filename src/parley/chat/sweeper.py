"""Ends conversations that were abandoned: idle past the timeout, with no message to notice it.

A conversation times out lazily when its next message arrives (CHAT_TIMEOUT), but most abandoned
conversations never get one: without a sweep they would stay ``active`` in the Conversations API
forever and their ``end_function`` would never run. The sweeper looks for them every interval and
ends each the way a late message would, under the conversation's lock.

Several processes may sweep the same database: each conversation is claimed with a conditional
UPDATE (still active, untouched since read) and committed before its end_function runs, so exactly
one process ends it, and a process that dies in between leaves it timed out without running the
function twice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.agents.repository import AgentRef
from parley.chat.repository import ConversationRepository
from parley.chat.runtime import ConversationRuntime, RuntimeDeps
from parley.errors import ServiceUnavailable
from parley.kit.db import utcnow
from parley.kit.locks import LockStore
from parley.kit.logging import get_logger

log = get_logger("parley.sweeper")

# A conversation whose lock is held is being talked to right now: try it again next sweep.
_LOCK_WAIT_SECONDS = 0.05


class ConversationSweeper:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        deps: RuntimeDeps,
        locks: LockStore,
        interval_seconds: float,
        batch: int = 200,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.deps = deps
        self.locks = locks
        self.interval_seconds = interval_seconds
        self.batch = batch
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval_seconds > 0:
            self._task = asyncio.create_task(self._sweep_forever(), name="conversation-sweeper")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def sweep_once(self) -> int:
        """Ends up to one batch of abandoned conversations; returns how many it ended."""
        cutoff = utcnow() - timedelta(seconds=self.deps.chat_timeout_seconds)
        async with self.sessionmaker() as session:
            candidates = await ConversationRepository(session).idle(cutoff, self.batch)
        ended = 0
        for conversation_id, agent_id, account_id in candidates:
            try:
                async with self.locks.lock(f"conversation:{conversation_id}", _LOCK_WAIT_SECONDS):
                    ended += await self._end(AgentRef(agent_id, account_id), conversation_id)
            except ServiceUnavailable:
                continue  # busy with a message; the next sweep (or that message) handles it
            except Exception:
                # One conversation that cannot be ended must not keep the others from ending.
                log.exception("conversation sweep: could not end", conversation_id=conversation_id)
        return ended

    async def _end(self, agent: AgentRef, conversation_id: str) -> int:
        async with self.sessionmaker() as session:
            runtime = ConversationRuntime(session, self.deps)
            conversation = await runtime.idle_conversation(agent, conversation_id)
            if conversation is None:
                return 0
            if not await ConversationRepository(session).claim_idle(
                conversation.id, conversation.last_activity_at
            ):
                await session.rollback()
                return 0
            await session.commit()
            await runtime.time_out(agent, conversation)
            await session.commit()
            return 1

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                ended = await self.sweep_once()
            except Exception:
                # A failed sweep (database briefly away) must not end the sweeping: log, go on.
                log.exception("conversation sweep failed")
                continue
            if ended:
                log.info("conversation sweep", ended=ended)

"""What each client event does to a session and its conversation.

The journal records what clients see; ConversationRuntime (the service every transport uses)
does the talking. Everything here flushes and never commits: the dispatcher owns transactions.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.chat.runtime import ConversationRuntime, Exchange, RuntimeDeps, StartOptions
from parley.config import MessagingSettings
from parley.errors import (
    ChatConversationEnded,
    ConnectorsNotFound,
    ConversationsNotFound,
    ParleyError,
    ResourceNotFound,
    ServiceUnavailable,
    UnprocessableEntity,
)
from parley.kit.db import utcnow
from parley.messaging import events as ev
from parley.messaging.events import ClientEvent, Refusal
from parley.messaging.journal import Journal
from parley.messaging.repository import MessagingRepository
from parley.models import Agent, MessagingSession
from parley.telephony.repository import TelephonyRepository

CHANNEL = "webchat"
SOURCE = "webchat"
HANDOFF_REASON = "AGENT_DECISION"
_PIECES = re.compile(r"\S+\s*|\s+")

Events = list[dict[str, Any]]


def reply_failure_text(error: ParleyError) -> str:
    """The documented system-message text for an error during an agent turn."""
    if isinstance(error, ConversationsNotFound):
        return ev.TEXT_CONVERSATION_NOT_FOUND
    if isinstance(error, ServiceUnavailable):
        return ev.TEXT_HIGH_LOAD
    return ev.TEXT_CANNOT_RESPOND


def chunks(text: str, size: int) -> list[str]:
    """Pieces of at most ``size`` characters, cut between words where possible; joined, the text."""
    pieces: list[str] = []
    current = ""
    for piece in _PIECES.findall(text):
        while len(piece) > size:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(piece[:size])
            piece = piece[size:]
        if current and len(current) + len(piece) > size:
            pieces.append(current)
            current = ""
        current += piece
    if current:
        pieces.append(current)
    return pieces


class WebchatConversation:
    def __init__(self, session: AsyncSession, deps: RuntimeDeps, settings: MessagingSettings) -> None:
        self.session = session
        self.settings = settings
        self.repo = MessagingRepository(session)
        self.journal = Journal(session)
        self.runtime = ConversationRuntime(session, deps)

    async def load(self, session_id: str) -> MessagingSession:
        messaging_session = await self.repo.get_session(session_id)
        if messaging_session is None:
            raise Refusal(ev.TEXT_SESSION_NOT_FOUND, ResourceNotFound("session not found"))
        return messaging_session

    async def conversation_id(self, session_id: str) -> str | None:
        return (await self.load(session_id)).conversation_id

    # --- client events --------------------------------------------------------------------------

    async def accept_join(self, ms: MessagingSession, client: ClientEvent) -> Events:
        self._require_active(ms, client.type)
        # Joined without a conversation only if a worker died mid-join: let the client retry.
        if ms.agent_state == "joined" and ms.conversation_id is not None:
            raise Refusal(
                ev.not_allowed_text(client.type),
                UnprocessableEntity("The agent has already joined this session."),
            )
        if ms.agent_state == "handed_off":
            raise Refusal(
                ev.not_allowed_text(client.type),
                UnprocessableEntity("The agent left this session with a handoff and cannot rejoin it."),
            )
        agent = await self._agent(ms)
        echo = await self.journal.record(ms, client.type, client.payload, client.metadata)
        joined = await self.journal.record(
            ms, ev.POLY_AGENT_JOINED, {"agent_name": agent.name, "agent_avatar_url": ""}
        )
        ms.agent_state = "joined"
        ms.last_activity_at = utcnow()
        return [echo, joined]

    async def greet(self, ms: MessagingSession) -> Events:
        agent = await self._agent(ms)
        connector = await TelephonyRepository(self.session).connector(ms.agent_id, ms.connector_id)
        if connector is None:
            raise Refusal(
                ev.TEXT_CONNECTOR_NOT_FOUND,
                ConnectorsNotFound(f"Connector '{ms.connector_id}' of this session no longer exists."),
            )
        options = StartOptions(
            environment=connector.client_env,
            channel=CHANNEL,
            source=SOURCE,
            connector_id=connector.id,
            variant_id=connector.variant_id or None,
            language=connector.asr_lang_code or None,
        )
        try:
            exchange = await self.runtime.start(agent, options)
        except ParleyError as error:
            raise Refusal(ev.TEXT_CANNOT_START, error) from None
        ms.conversation_id = exchange.conversation.id
        return await self._agent_turn(ms, agent, exchange)

    async def join_failed(self, ms: MessagingSession) -> Events:
        """The agent announced itself but could not start: it leaves, and a later join may retry."""
        if ms.status != "active" or ms.agent_state != "joined" or ms.conversation_id is not None:
            return []
        ms.agent_state = "pending"
        return [await self.journal.record(ms, ev.POLY_AGENT_LEFT, {})]

    async def accept_message(self, ms: MessagingSession, client: ClientEvent) -> Events:
        self._require_active(ms, client.type)
        if ms.agent_state == "handed_off":
            raise Refusal(
                ev.TEXT_FORWARD_FAILED,
                UnprocessableEntity(
                    "The agent handed this session off to your live-agent system; route the user's "
                    "messages there."
                ),
            )
        if ms.agent_state != "joined":
            raise Refusal(
                ev.not_allowed_text(client.type),
                UnprocessableEntity(
                    f"No agent has joined this session yet: send {ev.REQUEST_POLY_AGENT_JOIN} first."
                ),
            )
        if ms.conversation_id is None:
            raise Refusal(
                ev.TEXT_NO_CONVERSATION,
                ConversationsNotFound("This session has no conversation: send a join request again."),
            )
        payload = {"text": client.payload["text"], "message_id": str(uuid.uuid4())}
        echo = await self.journal.record(ms, client.type, payload, client.metadata)
        ms.last_activity_at = utcnow()
        return [echo]

    async def reply(self, ms: MessagingSession, text: str) -> Events:
        agent = await self._agent(ms)
        if ms.conversation_id is None:
            raise Refusal(ev.TEXT_NO_CONVERSATION, ConversationsNotFound("This session has no conversation."))
        try:
            exchange = await self.runtime.message(agent, ms.conversation_id, text)
        except ParleyError as error:
            raise Refusal(reply_failure_text(error), error) from None
        return await self._agent_turn(ms, agent, exchange)

    async def end_by_user(self, ms: MessagingSession, client: ClientEvent) -> Events:
        self._require_active(ms, client.type)
        echo = await self.journal.record(ms, client.type, client.payload, client.metadata)
        return [echo, *await self.finish(ms, ev.REASON_USER_END)]

    # --- endings --------------------------------------------------------------------------------

    async def expire_if_idle(self, ms: MessagingSession) -> Events:
        if ms.status != "active":
            return []
        if utcnow() - ms.last_activity_at <= timedelta(seconds=self.settings.session_idle_seconds):
            return []
        return await self.finish(ms, ev.REASON_USER_ABANDONED)

    async def finish(self, ms: MessagingSession, reason: str) -> Events:
        """End the session (and its conversation, if still running) with SESSION_END; idempotent."""
        if ms.status != "active":
            return []
        await self._close_conversation(ms)
        ms.status = "ended"
        ms.end_reason = reason
        ms.ended_at = utcnow()
        return [await self.journal.record(ms, ev.SESSION_END, {"reason": reason})]

    # --- internals ------------------------------------------------------------------------------

    async def _agent_turn(self, ms: MessagingSession, agent: Agent, exchange: Exchange) -> Events:
        outcome = exchange.outcome
        events = await self._say(ms, outcome.response) if outcome.response else []
        if outcome.handoff:
            events.append(await self.journal.record(ms, ev.POLY_AGENT_TRIGGERED_HANDOFF, {}))
            events.append(
                await self.journal.record(
                    ms,
                    ev.CLIENT_HANDOFF_REQUIRED,
                    {"reason": HANDOFF_REASON, "queue_name": str(outcome.handoff.get("destination") or "")},
                )
            )
            events.append(await self.journal.record(ms, ev.POLY_AGENT_LEFT, {}))
            ms.agent_state = "handed_off"
            await self._close_conversation(ms)
        elif outcome.end_conversation:
            events += await self.finish(ms, ev.REASON_NATURAL_END)
        ms.last_activity_at = utcnow()
        return events

    async def _say(self, ms: MessagingSession, text: str) -> Events:
        message_id = str(uuid.uuid4())
        common: dict[str, Any] = {"attachments": [], "response_suggestions": []}
        if not ms.streaming_enabled:
            payload = {"message_id": message_id, "text": text, **common}
            return [await self.journal.record(ms, ev.POLY_AGENT_MESSAGE, payload)]
        pieces = chunks(text, self.settings.stream_chunk_chars)
        recorded = []
        for index, piece in enumerate(pieces, start=1):
            payload = {
                "message_id": message_id,
                "text": piece,
                **common,
                "chunk_index": index,
                "is_complete": index == len(pieces),
            }
            recorded.append(await self.journal.record(ms, ev.POLY_AGENT_MESSAGE_CHUNK, payload))
        return recorded

    async def _close_conversation(self, ms: MessagingSession) -> None:
        if ms.conversation_id is None:
            return
        agent = await self.session.get(Agent, ms.agent_id)
        if agent is None:
            return
        try:
            conversation = await self.runtime.get(agent, ms.conversation_id)
            if conversation.status == "active":
                await self.runtime.close(agent, ms.conversation_id)
        except ParleyError:
            # Already over (timed out, closed through the Chat API, draft gone): nothing to close.
            # A timeout's own changes stay in the session and are committed with the ending.
            pass

    async def _agent(self, ms: MessagingSession) -> Agent:
        agent = await self.session.get(Agent, ms.agent_id)
        if agent is None:
            raise Refusal(ev.TEXT_SESSION_NOT_FOUND, ResourceNotFound("session not found"))
        return agent

    @staticmethod
    def _require_active(ms: MessagingSession, event_type: str) -> None:
        if ms.status != "active":
            raise Refusal(
                ev.not_allowed_text(event_type),
                ChatConversationEnded("This session has ended; create a new session."),
            )

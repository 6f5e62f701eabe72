"""Sending one SMS: the opt-out check, the provider, and the record of what happened.

Every attempt leaves exactly one outbox record, whatever its outcome, so the outbox answers "did
this message go out, and if not, why" without reading logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from parley.kit.ids import new_id
from parley.models import SmsMessage
from parley.sms import keywords
from parley.sms.providers import OutgoingSms, SmsProvider, SmsProviderError
from parley.sms.repository import SmsRepository
from parley.telephony.e164 import to_e164

SENT = "sent"
FAILED = "failed"
BLOCKED_OPT_OUT = "blocked_opt_out"
RECEIVED = "received"
STATUSES = (SENT, FAILED, BLOCKED_OPT_OUT, RECEIVED)

MAX_BODY_CHARS = 1600  # Twilio's limit for one message (ten segments)


@dataclass(frozen=True)
class Outgoing:
    agent_id: str
    to: str | None
    sender: str | None
    body: str
    source: str
    template: str | None = None
    environment: str | None = None
    conversation_id: str | None = None
    connector_id: str | None = None


class SmsSender:
    def __init__(self, session: AsyncSession, provider: SmsProvider) -> None:
        self.repo = SmsRepository(session)
        self.provider = provider

    async def send(self, outgoing: Outgoing) -> SmsMessage:
        to = to_e164(outgoing.to) if outgoing.to else None
        sender = to_e164(outgoing.sender) if outgoing.sender else None
        record = SmsMessage(
            id=new_id("SMS", 16),
            agent_id=outgoing.agent_id,
            direction="outbound",
            to_number=to or (outgoing.to or None),
            from_number=sender or (outgoing.sender or None),
            body=outgoing.body,
            template=outgoing.template,
            environment=outgoing.environment,
            source=outgoing.source,
            conversation_id=outgoing.conversation_id,
            connector_id=outgoing.connector_id,
        )
        record.status, record.reason = await self._deliver(record, to, sender)
        # Bounded after the decision: numbers that were not numbers are kept only as a hint.
        record.to_number = (record.to_number or "")[:64] or None
        record.from_number = (record.from_number or "")[:64] or None
        await self.repo.add(record)
        return record

    async def _deliver(
        self, record: SmsMessage, to: str | None, sender: str | None
    ) -> tuple[str, str | None]:
        if to is None:
            return FAILED, "The recipient is not a valid E.164 phone number."
        if await self.repo.opt_out(record.agent_id, to) is not None:
            return BLOCKED_OPT_OUT, "The recipient opted out of SMS from this agent (texted STOP)."
        if sender is None:
            if record.from_number:
                return FAILED, "The sender is not a valid E.164 phone number."
            where = f" for the '{record.environment}' environment" if record.environment else ""
            return FAILED, f"No sender number is configured{where}."
        if not record.body.strip():
            return FAILED, "The message is empty."
        if len(record.body) > MAX_BODY_CHARS:
            return FAILED, f"The message is longer than {MAX_BODY_CHARS} characters."
        try:
            record.provider_message_id = await self.provider.send(OutgoingSms(to, sender, record.body))
        except SmsProviderError as exc:
            record.provider = self.provider.name
            return FAILED, exc.reason
        record.provider = self.provider.name
        return SENT, None

    async def apply_keyword(self, agent_id: str, number: str | None, text: str) -> str | None:
        """Record an opt-out or opt-in if ``text`` is exactly a keyword; returns what was done."""
        found = keywords.classify(text)
        normalised = to_e164(number) if number else None
        if found is None or normalised is None:
            return None
        action, word = found
        if action == "opt_out":
            await self.repo.add_opt_out(agent_id, normalised, word)
            return "opted_out"
        return "opted_in" if await self.repo.remove_opt_out(agent_id, normalised) else None

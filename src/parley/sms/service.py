"""The SMS endpoints' rules: reading the outbox, the outbound endpoint, the inbound webhook."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.service import AgentService
from parley.auth.principal import Principal
from parley.config import SmsSettings
from parley.errors import (
    BadGateway,
    ConnectorsNotFound,
    NotImplementedYet,
    PhoneNumbersInvalidPhoneNumberFormat,
    PhoneNumbersNotFound,
    ProjectNotFound,
    SmsMessageNotFound,
    UnprocessableEntity,
)
from parley.kit.ids import new_id
from parley.models import Agent, Connector, SmsMessage
from parley.sms.providers import provider_for
from parley.sms.repository import SmsRepository
from parley.sms.schemas import (
    InboundSmsBody,
    InboundSmsView,
    OutboundSmsBody,
    SmsMessagesView,
    SmsMessageView,
)
from parley.sms.sender import BLOCKED_OPT_OUT, FAILED, RECEIVED, Outgoing, SmsSender
from parley.telephony.access import telephony_agent
from parley.telephony.e164 import shown, to_e164

RCS_PREFIX = "rcs:"


def message_view(message: SmsMessage) -> SmsMessageView:
    return SmsMessageView(
        id=message.id,
        direction=message.direction,  # type: ignore[arg-type]
        status=message.status,  # type: ignore[arg-type]
        reason=message.reason,
        to=message.to_number,
        from_=message.from_number,
        body=message.body,
        template=message.template,
        environment=message.environment,
        source=message.source,
        conversation_id=message.conversation_id,
        connector_id=message.connector_id,
        provider=message.provider,
        provider_message_id=message.provider_message_id,
        created_at=message.created_at,
    )


def _e164(raw: str, field: str) -> str:
    number = to_e164(raw)
    if number is None:
        raise PhoneNumbersInvalidPhoneNumberFormat(
            f"'{shown(raw)}' is not a phone number in E.164 format (e.g. +442079460958).",
            data={"errors": [{"path": field, "message": "not a valid E.164 phone number"}]},
        )
    return number


class SmsService:
    def __init__(self, session: AsyncSession, settings: SmsSettings) -> None:
        self.session = session
        self.settings = settings
        self.repo = SmsRepository(session)

    # --- the outbox

    async def list_messages(
        self,
        principal: Principal,
        agent_id: str,
        *,
        status: str | None,
        to: str | None,
        direction: str | None,
        limit: int,
    ) -> SmsMessagesView:
        agent = await telephony_agent(self.session, principal, agent_id, write=False)
        to_number = _e164(to, "/query/to") if to is not None else None
        found = await self.repo.messages(
            agent.id, status=status, to_number=to_number, direction=direction, limit=limit
        )
        return SmsMessagesView(messages=[message_view(m) for m in found])

    async def get_message(self, principal: Principal, agent_id: str, message_id: str) -> SmsMessageView:
        agent = await telephony_agent(self.session, principal, agent_id, write=False)
        message = await self.repo.message(agent.id, message_id)
        if message is None:
            raise SmsMessageNotFound(
                f"SMS message '{message_id[:64]}' does not exist in this agent.",
                data={"messageId": message_id[:64]},
            )
        return message_view(message)

    # --- POST /v1/outbound-sms

    async def send_outbound(self, principal: Principal, connector_id: str, body: OutboundSmsBody) -> None:
        connector = await self._connector(principal, connector_id)
        if body.user_number.strip().lower().startswith(RCS_PREFIX):
            raise NotImplementedYet("RCS messages are not supported yet; send to a plain E.164 number.")
        to = _e164(body.user_number, "/body/user_number")
        sender = await self._agent_number(connector, body.agent_number)
        message = await SmsSender(self.session, provider_for(self.settings)).send(
            Outgoing(
                agent_id=connector.agent_id,
                to=to,
                sender=sender,
                body=body.message,
                source="outbound_api",
                environment=connector.client_env,
                connector_id=connector.id,
            )
        )
        details = {"messageId": message.id, "status": message.status}
        # Both refusals keep their outbox record (persist): the attempt happened.
        if message.status == BLOCKED_OPT_OUT:
            raise UnprocessableEntity(
                f"{to} opted out of SMS from this agent (texted STOP); nothing was sent.",
                data=details,
                persist=True,
            )
        if message.status == FAILED:
            raise BadGateway(
                f"The SMS provider did not accept the message: {message.reason}",
                data={**details, "reason": message.reason},
                persist=True,
            )

    async def _connector(self, principal: Principal, connector_id: str) -> Connector:
        connector = await self.repo.connector(connector_id) if len(connector_id) <= 40 else None
        missing = ConnectorsNotFound(
            f"Connector '{connector_id[:64]}' does not exist.", data={"connectorId": connector_id[:64]}
        )
        if connector is None:
            raise missing
        try:
            await AgentService(self.session).accessible(principal, connector.agent_id)
        except ProjectNotFound:
            # Another tenant's connector looks exactly like one that does not exist.
            raise missing from None
        principal.require_role("editor")
        return connector

    async def _agent_number(self, connector: Connector, requested: str | None) -> str:
        numbers = await self.repo.connector_numbers(connector.id)
        if requested is not None:
            number = _e164(requested, "/body/agent_number")
            if number not in numbers:
                raise PhoneNumbersNotFound(
                    f"{number} is not a phone number of connector '{connector.id}'.",
                    data={"phoneNumber": number, "connectorId": connector.id},
                )
            return number
        if not numbers:
            raise PhoneNumbersNotFound(
                f"Connector '{connector.id}' has no phone numbers to send from.",
                data={"connectorId": connector.id},
            )
        return numbers[0]

    # --- POST /v1/agents/{agentId}/sms/inbound

    async def receive(self, agent: Agent, body: InboundSmsBody) -> InboundSmsView:
        sender_number = _e164(body.from_number, "/body/from")
        agent_number = _e164(body.to_number, "/body/to")
        number = await self.repo.agent_number(agent.id, agent_number)
        if number is None:
            raise PhoneNumbersNotFound(
                f"{agent_number} is not a phone number of agent '{agent.id}'.",
                data={"phoneNumber": agent_number},
            )
        action = await SmsSender(self.session, provider_for(self.settings)).apply_keyword(
            agent.id, sender_number, body.body
        )
        message = SmsMessage(
            id=new_id("SMS", 16),
            agent_id=agent.id,
            direction="inbound",
            status=RECEIVED,
            to_number=agent_number,
            from_number=sender_number,
            body=body.body,
            environment=number.client_env,
            source="inbound_webhook",
            connector_id=number.connector_id,
        )
        await self.repo.add(message)
        return InboundSmsView(message_id=message.id, action=action or "none")


async def inbound_agent(
    session: AsyncSession, principal: Principal | None, connector: Connector | None, agent_id: str
) -> Agent:
    """The agent an inbound text is for: by API key (editor), or by one of its connector tokens."""
    if principal is not None:
        return await telephony_agent(session, principal, agent_id, write=True)
    assert connector is not None
    agent = await AgentService(session).repo.get(connector.agent_id)
    if agent is None:
        raise ProjectNotFound(f"Agent '{agent_id[:64]}' does not exist.")
    return agent

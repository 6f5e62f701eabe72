"""The runtime's side of SMS: what a conversation turn asked to send goes out after the turn.

ConversationRuntime calls ``deliver_turn`` once per turn, after the engine and before the turn is
recorded, so each ``sms`` effect in the turn's log carries the id and status of its message.
A failure to send is recorded on the message, never raised: a turn does not fail because of SMS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.branches.names import clean_name
from parley.config import SmsSettings, get_settings
from parley.conversations.records import LiveConversation
from parley.deployments.environments import SANDBOX
from parley.runtime.engine import TurnOutcome
from parley.sms.providers import provider_for
from parley.sms.sender import Outgoing, SmsSender

SMS_CHANNEL = "sms"
DRAFT = "draft"


def _sender(effect: Mapping[str, Any], templates: Mapping[str, Any], environment: str) -> str | None:
    if effect.get("from"):
        return str(effect["from"])
    # A draft (debug chat) runs on no environment of its own: it sends from the sandbox number.
    if environment == DRAFT and effect.get("template") is not None:
        template = templates.get(clean_name(str(effect["template"]))) or {}
        number = (template.get("envPhoneNumbers") or {}).get(SANDBOX)
        return str(number) if number else None
    return None


async def deliver_turn(
    session: AsyncSession,
    settings: SmsSettings | None,
    templates: Mapping[str, Any],
    conversation: LiveConversation,
    outcome: TurnOutcome,
    user_input: str,
) -> None:
    sender = SmsSender(session, provider_for(settings or get_settings().sms))
    if conversation.channel == SMS_CHANNEL and user_input:
        # On the SMS channel the user's message is a text from their phone: STOP means STOP.
        await sender.apply_keyword(conversation.agent_id, conversation.caller_number, user_input)
    for effect in outcome.effects:
        if effect.get("type") != "sms":
            continue
        message = await sender.send(
            Outgoing(
                agent_id=conversation.agent_id,
                to=str(effect["to"]) if effect.get("to") else None,
                sender=_sender(effect, templates, conversation.environment),
                body=str(effect.get("content") or ""),
                source="conversation",
                template=str(effect["template"]) if effect.get("template") is not None else None,
                environment=conversation.environment,
                conversation_id=conversation.id,
                connector_id=conversation.connector_id,
            )
        )
        effect["messageId"] = message.id
        effect["status"] = message.status

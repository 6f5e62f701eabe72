"""ORM rows to public views."""

from __future__ import annotations

from parley.models import Agent, Connector, PhoneNumber
from parley.telephony.schemas import ConnectorView, ConnectorWithToken, PhoneNumberView


def connector_view(connector: Connector, agent: Agent) -> ConnectorView:
    return ConnectorView(
        connector_id=connector.id,
        name=connector.name,
        account_id=agent.account_id,
        project_id=connector.agent_id,
        client_env=connector.client_env,
        variant_id=connector.variant_id,
        asr_lang_code=connector.asr_lang_code,
        tts_lang_code=connector.tts_lang_code,
        voice_name=connector.voice_name,
        disable_handoff=connector.disable_handoff,
        allowed_hosts=list(connector.allowed_hosts),
        token_hint=connector.token_hint,
        created_at=connector.created_at,
        updated_at=connector.updated_at,
    )


def with_token(connector: Connector, agent: Agent, token: str) -> ConnectorWithToken:
    return ConnectorWithToken(**connector_view(connector, agent).model_dump(), token=token)


def number_view(number: PhoneNumber, agent: Agent) -> PhoneNumberView:
    return PhoneNumberView(
        number=number.number,
        project_id=number.agent_id,
        account_id=agent.account_id,
        client_env=number.client_env,
        connector_id=number.connector_id,
        created_at=number.created_at,
    )

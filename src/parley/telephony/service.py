"""Connectors: CRUD, batch operations, token rotation, and token checks for the runtime slices."""

from __future__ import annotations

import re
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth import keys
from parley.auth.principal import Principal
from parley.errors import (
    ConnectorsNotFound,
    ConnectorsValidationFailed,
    ParleyError,
    PhoneNumbersInvalidPhoneNumberFormat,
)
from parley.kit.ids import new_id
from parley.models import Agent, Connector
from parley.telephony import fields, tokens
from parley.telephony.access import telephony_agent
from parley.telephony.e164 import shown, to_e164
from parley.telephony.repository import TelephonyRepository
from parley.telephony.schemas import (
    BatchGetConnectorsView,
    BatchUpdateConnectorItem,
    BatchUpdateConnectorsView,
    BatchUpdateResultItem,
    ConnectorsView,
    ConnectorView,
    ConnectorWithToken,
    CreateConnectorBody,
    DeleteConnectorView,
    UpdateConnectorBody,
)
from parley.telephony.views import connector_view, with_token

CONNECTOR_ID = re.compile(r"CONNECTOR-[A-Z0-9]{8}")


async def connector_for_token(session: AsyncSession, project_id: str, token: str) -> Connector | None:
    """The connector of ``project_id`` whose token this is, or None (unknown, other agent, rotated).

    The row is found by a digest prefix and confirmed by a constant-time comparison of the full
    digest, as for API keys. No permission checks: the token is the credential.
    """
    digest = tokens.presented_digest(token)
    if digest is None:
        return None
    connector = await TelephonyRepository(session).connector_by_token_lookup(keys.lookup_of(digest))
    if connector is None or not keys.digests_match(digest, connector.token_hash):
        return None
    return connector if connector.agent_id == project_id else None


def not_found(connector_id: str) -> ConnectorsNotFound:
    return ConnectorsNotFound(
        f"Connector '{connector_id[:64]}' does not exist in this agent.",
        data={"connectorId": connector_id[:64]},
    )


class ConnectorService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = TelephonyRepository(session)

    async def list_connectors(self, principal: Principal, agent_id: str) -> ConnectorsView:
        agent = await telephony_agent(self.session, principal, agent_id, write=False)
        return ConnectorsView(
            connectors=[connector_view(c, agent) for c in await self.repo.connectors(agent.id)]
        )

    async def get(self, principal: Principal, agent_id: str, connector_id: str) -> ConnectorView:
        agent = await telephony_agent(self.session, principal, agent_id, write=False)
        return connector_view(await self._connector(agent, connector_id), agent)

    async def create(
        self, principal: Principal, agent_id: str, body: CreateConnectorBody
    ) -> ConnectorWithToken:
        agent = await telephony_agent(self.session, principal, agent_id, write=True)
        checked = fields.normalise(_sent(body, exclude={"client_env"}))
        if checked.errors:
            raise _invalid(checked.errors)
        token = tokens.issue()
        connector = Connector(
            id=new_id("CONNECTOR", 8),
            agent_id=agent.id,
            client_env=body.client_env,
            variant_id="",
            asr_lang_code="",
            voice_name="",
            tts_lang_code="",
            disable_handoff=False,
            allowed_hosts=[],
            token_lookup=token.lookup,
            token_hash=token.digest,
            token_hint=token.hint,
        )
        for attribute, value in checked.values.items():
            setattr(connector, attribute, value)
        await self.repo.add(connector)
        return with_token(connector, agent, token.secret)

    async def rotate_token(
        self, principal: Principal, agent_id: str, connector_id: str
    ) -> ConnectorWithToken:
        agent = await telephony_agent(self.session, principal, agent_id, write=True)
        connector = await self._connector(agent, connector_id)
        token = tokens.issue()
        # The old digest is overwritten: the old token stops working when this commits.
        connector.token_lookup = token.lookup
        connector.token_hash = token.digest
        connector.token_hint = token.hint
        await self.session.flush()
        return with_token(connector, agent, token.secret)

    async def update(
        self, principal: Principal, agent_id: str, connector_id: str, body: UpdateConnectorBody
    ) -> ConnectorView:
        agent = await telephony_agent(self.session, principal, agent_id, write=True)
        connector = await self._connector(agent, connector_id)
        owner = await self._apply(principal, agent, connector, _sent(body))
        return connector_view(connector, owner)

    async def delete(self, principal: Principal, agent_id: str, connector_id: str) -> DeleteConnectorView:
        agent = await telephony_agent(self.session, principal, agent_id, write=True)
        connector = await self._connector(agent, connector_id)
        released = await self.repo.delete_connector(connector)
        return DeleteConnectorView(deleted_connector=connector.id, deleted_phone_numbers=released)

    async def batch_get(
        self, principal: Principal, agent_id: str, connector_ids: list[str]
    ) -> BatchGetConnectorsView:
        agent = await telephony_agent(self.session, principal, agent_id, write=False)
        wanted = list(dict.fromkeys(connector_ids))
        found = await self.repo.connectors_by_id(agent.id, [c for c in wanted if CONNECTOR_ID.fullmatch(c)])
        return BatchGetConnectorsView(
            found=[connector_view(found[c], agent) for c in wanted if c in found],
            not_found=[c for c in wanted if c not in found],
        )

    async def batch_update(
        self, principal: Principal, agent_id: str, updates: list[BatchUpdateConnectorItem]
    ) -> BatchUpdateConnectorsView:
        """Each update stands alone, in order: one failing leaves the others applied."""
        agent = await telephony_agent(self.session, principal, agent_id, write=True)
        results: list[BatchUpdateResultItem] = []
        for item in updates:
            try:
                connector = await self._connector(agent, item.connector_id)
                owner = await self._apply(principal, agent, connector, _sent(item, exclude={"connector_id"}))
            except ParleyError as error:
                results.append(
                    BatchUpdateResultItem(
                        connector_id=item.connector_id,
                        success=False,
                        error=_item_message(error),
                        error_code=error.spec.code,
                    )
                )
                continue
            results.append(
                BatchUpdateResultItem(
                    connector_id=connector.id, success=True, data=connector_view(connector, owner)
                )
            )
        return BatchUpdateConnectorsView(results=results)

    async def lookup(self, principal: Principal, agent_id: str, phone_number: str) -> ConnectorView:
        agent = await telephony_agent(self.session, principal, agent_id, write=False)
        number = to_e164(phone_number)
        if number is None:
            raise PhoneNumbersInvalidPhoneNumberFormat(
                f"'{shown(phone_number)}' is not a valid phone number: use E.164, e.g. '+442079460958'.",
                data={"invalidPhoneNumbers": [shown(phone_number)]},
            )
        record = await self.repo.number(agent.id, number)
        if record is None or record.connector_id is None:
            why = "is not imported into this agent" if record is None else "is not routed to a connector"
            raise ConnectorsNotFound(
                f"No connector serves {number}: the number {why}.", data={"phoneNumber": number}
            )
        return connector_view(await self._connector(agent, record.connector_id), agent)

    async def _connector(self, agent: Agent, connector_id: str) -> Connector:
        connector = None
        if CONNECTOR_ID.fullmatch(connector_id):
            connector = await self.repo.connector(agent.id, connector_id)
        if connector is None:
            raise not_found(connector_id)
        return connector

    async def _apply(
        self, principal: Principal, agent: Agent, connector: Connector, sent: dict[str, Any]
    ) -> Agent:
        """Check every sent field, then change the connector; returns the agent that owns it after."""
        checked = fields.normalise(sent)
        if checked.errors:
            raise _invalid(checked.errors)
        values = dict(checked.values)
        owner = agent
        target = values.pop("project_id", None)
        if target is not None and target != agent.id:
            # The key must reach the target agent too, with the same role (the principal is shared).
            owner = await telephony_agent(self.session, principal, target, write=True)
        for attribute, value in values.items():
            setattr(connector, attribute, value)
        if owner.id != agent.id:
            await self.repo.move_connector(connector, owner.id)
        await self.session.flush()
        return owner


def _sent(body: UpdateConnectorBody | CreateConnectorBody, exclude: set[str] | None = None) -> dict[str, Any]:
    """The fields the caller actually sent (null included), by their camelCase names."""
    skip = exclude or set()
    return {to_camel(name): getattr(body, name) for name in body.model_fields_set if name not in skip}


def _invalid(errors: list[fields.FieldError]) -> ConnectorsValidationFailed:
    first = errors[0]
    return ConnectorsValidationFailed(
        f"'{first.field}' {first.message}.", data={"errors": [error.as_dict() for error in errors]}
    )


def _item_message(error: ParleyError) -> str:
    details = (error.data or {}).get("errors")
    if details:
        return "; ".join(f"{d['path'].removeprefix('/body/')}: {d['message']}" for d in details)
    return error.message

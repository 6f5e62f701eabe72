"""Phone numbers: import (all or nothing), lookups, release, and routing to connectors."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.principal import Principal
from parley.errors import (
    ParleyError,
    PhoneNumbersAlreadyExists,
    PhoneNumbersConnectorDoesNotExist,
    PhoneNumbersInvalidPhoneNumberFormat,
    PhoneNumbersNotFound,
    SchemaValidationFailed,
)
from parley.models import Agent, Connector, PhoneNumber
from parley.telephony.access import telephony_agent
from parley.telephony.e164 import shown, to_e164
from parley.telephony.repository import TelephonyRepository
from parley.telephony.schemas import (
    BatchGetPhoneNumbersView,
    DeletePhoneNumberError,
    DeletePhoneNumbersView,
    PhoneNumbersView,
    PhoneNumberView,
)
from parley.telephony.service import CONNECTOR_ID
from parley.telephony.views import number_view

DEFAULT_CLIENT_ENV = "live"


def _invalid(raws: Sequence[str]) -> PhoneNumbersInvalidPhoneNumberFormat:
    listed = [shown(raw) for raw in raws]
    hint = "use the international E.164 form, such as '+442079460958'"
    if len(listed) == 1:
        message = f"'{listed[0]}' is not a valid phone number: {hint}."
    else:
        message = f"{len(listed)} phone numbers are not valid (first: '{listed[0]}'): {hint}."
    return PhoneNumbersInvalidPhoneNumberFormat(message, data={"invalidPhoneNumbers": listed})


def _normalised(raw: str) -> str:
    number = to_e164(raw)
    if number is None:
        raise _invalid([raw])
    return number


def _all_normalised(raws: Sequence[str]) -> list[str]:
    """Every number in E.164, duplicates (after normalisation) dropped; 400 naming every bad one."""
    numbers = [to_e164(raw) for raw in raws]
    bad = [raw for raw, number in zip(raws, numbers, strict=True) if number is None]
    if bad:
        raise _invalid(bad)
    return list(dict.fromkeys(n for n in numbers if n is not None))


class PhoneNumberService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = TelephonyRepository(session)

    async def list_numbers(
        self, principal: Principal, agent_id: str, connector_id: str | None
    ) -> PhoneNumbersView:
        agent = await telephony_agent(self.session, principal, agent_id, write=False)
        if connector_id is not None:
            await self._connector(agent, connector_id)
        numbers = await self.repo.numbers(agent.id, connector_id)
        return PhoneNumbersView(phone_numbers=[number_view(n, agent) for n in numbers])

    async def get(self, principal: Principal, agent_id: str, raw: str) -> PhoneNumberView:
        agent = await telephony_agent(self.session, principal, agent_id, write=False)
        return number_view(await self._number(agent, _normalised(raw)), agent)

    async def batch_get(
        self, principal: Principal, agent_id: str, raws: list[str]
    ) -> BatchGetPhoneNumbersView:
        agent = await telephony_agent(self.session, principal, agent_id, write=False)
        numbers = _all_normalised(raws)
        found = await self.repo.numbers_by_value(agent.id, numbers)
        return BatchGetPhoneNumbersView(
            found=[number_view(found[n], agent) for n in numbers if n in found],
            not_found=[n for n in numbers if n not in found],
        )

    async def import_numbers(
        self,
        principal: Principal,
        agent_id: str,
        raws: list[str],
        client_env: str | None,
        connector_id: str | None,
    ) -> list[str]:
        """All or nothing: one bad, taken or unroutable number and none is imported."""
        agent = await telephony_agent(self.session, principal, agent_id, write=True)
        numbers = _all_normalised(raws)
        env, connector = await self._routing(agent, client_env, connector_id)
        taken = await self.repo.taken(numbers)
        if taken:
            raise _already_imported(taken)
        records = [
            PhoneNumber(
                number=n, agent_id=agent.id, client_env=env, connector_id=connector.id if connector else None
            )
            for n in numbers
        ]
        try:
            await self.repo.add(*records)
        except IntegrityError:
            # Another request imported one of them between the check and the insert.
            raise _already_imported(numbers) from None
        return numbers

    async def delete_numbers(
        self, principal: Principal, agent_id: str, raws: list[str]
    ) -> DeletePhoneNumbersView:
        """Each number stands alone: the ones that can be released are, the others are reported."""
        agent = await telephony_agent(self.session, principal, agent_id, write=True)
        errors: list[DeletePhoneNumberError] = []
        wanted: dict[str, str] = {}
        for raw in raws:
            number = to_e164(raw)
            if number is None:
                errors.append(_item_error(raw, _invalid([raw])))
            else:
                wanted.setdefault(number, raw)
        found = await self.repo.numbers_by_value(agent.id, list(wanted))
        for number, raw in wanted.items():
            if number not in found:
                errors.append(_item_error(raw, _missing(number)))
        deleted = [n for n in wanted if n in found]
        await self.repo.delete_numbers(agent.id, deleted)
        return DeletePhoneNumbersView(deleted=deleted, errors=errors or None)

    async def delete_number(self, principal: Principal, agent_id: str, raw: str) -> str:
        agent = await telephony_agent(self.session, principal, agent_id, write=True)
        record = await self._number(agent, _normalised(raw))
        await self.repo.delete_numbers(agent.id, [record.number])
        return record.number

    async def reassign(
        self, principal: Principal, agent_id: str, raw: str, connector_id: str
    ) -> PhoneNumberView:
        agent = await telephony_agent(self.session, principal, agent_id, write=True)
        record = await self._number(agent, _normalised(raw))
        connector = await self._connector(agent, connector_id)
        record.connector_id = connector.id
        # A number answers in its connector's environment; they never disagree.
        record.client_env = connector.client_env
        await self.session.flush()
        return number_view(record, agent)

    async def _routing(
        self, agent: Agent, client_env: str | None, connector_id: str | None
    ) -> tuple[str, Connector | None]:
        """Where imported numbers go: the named connector, else the environment's only connector."""
        if connector_id is not None:
            connector = await self._connector(agent, connector_id)
            if client_env is not None and client_env != connector.client_env:
                raise SchemaValidationFailed(
                    f"'clientEnv' is '{client_env}' but connector '{connector.id}' serves "
                    f"'{connector.client_env}'; omit clientEnv or make them match.",
                    data={
                        "errors": [
                            {
                                "path": "/body/clientEnv",
                                "message": f"must match the connector's clientEnv '{connector.client_env}'",
                                "type": "value_error",
                            }
                        ]
                    },
                )
            return connector.client_env, connector
        env = client_env or DEFAULT_CLIENT_ENV
        candidates = await self.repo.connectors_in_env(agent.id, env)
        return env, candidates[0] if len(candidates) == 1 else None

    async def _number(self, agent: Agent, number: str) -> PhoneNumber:
        record = await self.repo.number(agent.id, number)
        if record is None:
            raise _missing(number)
        return record

    async def _connector(self, agent: Agent, connector_id: str) -> Connector:
        connector = None
        if CONNECTOR_ID.fullmatch(connector_id):
            connector = await self.repo.connector(agent.id, connector_id)
        if connector is None:
            raise PhoneNumbersConnectorDoesNotExist(
                f"Connector '{connector_id[:64]}' does not exist in this agent.",
                data={"connectorId": connector_id[:64]},
            )
        return connector


def _already_imported(numbers: list[str]) -> PhoneNumbersAlreadyExists:
    return PhoneNumbersAlreadyExists(
        f"{numbers[0]} has already been imported{' (and others)' if len(numbers) > 1 else ''}; "
        "a number can be imported once in the whole server.",
        data={"phoneNumbers": numbers},
    )


def _missing(number: str) -> PhoneNumbersNotFound:
    return PhoneNumbersNotFound(f"{number} is not imported into this agent.", data={"phoneNumber": number})


def _item_error(raw: str, error: ParleyError) -> DeletePhoneNumberError:
    return DeletePhoneNumberError(phone_number=shown(raw), error=error.message, error_code=error.spec.code)

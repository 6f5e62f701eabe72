"""Namespaces of telephony and SMS: connectors, phone numbers, and sending and reading SMS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from parley.sdk._resources import Call, Namespace, compact, path

_Obj = TypeVar("_Obj")
_Arr = TypeVar("_Arr")
_Nil = TypeVar("_Nil")


class ConnectorsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Connectors of an agent: the environment/variant/voice bundle that chats and calls use."""

    def list(self, agent_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{connectors: [...]}``; tokens are never shown after creation."""
        return self._object("GET", path("/v1/agents/{}/telephony/connectors", agent_id), correlation_id)

    def create(
        self,
        agent_id: str,
        *,
        name: str,
        client_env: str,
        variant_id: str | None = None,
        allowed_hosts: Sequence[str] | None = None,
        asr_lang_code: str | None = None,
        voice_name: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """The connector plus its ``token``, shown only in this answer and in ``rotate_token``'s."""
        body = compact(
            name=name,
            clientEnv=client_env,
            variantId=variant_id,
            allowedHosts=list(allowed_hosts) if allowed_hosts is not None else None,
            asrLangCode=asr_lang_code,
            voiceName=voice_name,
        )
        url = path("/v1/agents/{}/telephony/connectors", agent_id)
        return self._object("POST", url, correlation_id, json=body)

    def get(self, agent_id: str, connector_id: str, *, correlation_id: str | None = None) -> _Obj:
        url = path("/v1/agents/{}/telephony/connectors/{}", agent_id, connector_id)
        return self._object("GET", url, correlation_id)

    def update(
        self,
        agent_id: str,
        connector_id: str,
        *,
        name: str | None = None,
        asr_lang_code: str | None = None,
        voice_name: str | None = None,
        allowed_hosts: Sequence[str] | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """Change only the fields given."""
        body = compact(
            name=name,
            asrLangCode=asr_lang_code,
            voiceName=voice_name,
            allowedHosts=list(allowed_hosts) if allowed_hosts is not None else None,
        )
        url = path("/v1/agents/{}/telephony/connectors/{}", agent_id, connector_id)
        return self._object("PATCH", url, correlation_id, json=body)

    def delete(self, agent_id: str, connector_id: str, *, correlation_id: str | None = None) -> _Obj:
        """``{deletedConnector, deletedPhoneNumbers}``: its numbers go with it."""
        url = path("/v1/agents/{}/telephony/connectors/{}", agent_id, connector_id)
        return self._object("DELETE", url, correlation_id)

    def rotate_token(self, agent_id: str, connector_id: str, *, correlation_id: str | None = None) -> _Obj:
        """A new ``token``; the old one stops working at once."""
        url = path("/v1/agents/{}/telephony/connectors/{}/rotate-token", agent_id, connector_id)
        return self._object("POST", url, correlation_id)

    def lookup(self, agent_id: str, phone_number: str, *, correlation_id: str | None = None) -> _Obj:
        """The connector a phone number routes to."""
        url = path("/v1/agents/{}/telephony/connectors/lookup", agent_id)
        return self._object("POST", url, correlation_id, json={"phoneNumber": phone_number})


class PhoneNumbersAPI(Namespace[_Obj, _Arr, _Nil]):
    """E.164 numbers of an agent, each routed to at most one connector."""

    def list(
        self, agent_id: str, *, connector_id: str | None = None, correlation_id: str | None = None
    ) -> _Obj:
        """``{phoneNumbers: [...]}``, optionally only those of one connector."""
        url = path("/v1/agents/{}/telephony/phone-numbers", agent_id)
        return self._object("GET", url, correlation_id, params=compact(connectorId=connector_id))

    def import_numbers(
        self,
        agent_id: str,
        phone_numbers: Sequence[str],
        *,
        client_env: str | None = None,
        connector_id: str | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``{imported: [...]}`` in E.164."""
        body = compact(phoneNumbers=list(phone_numbers), clientEnv=client_env, connectorId=connector_id)
        url = path("/v1/agents/{}/telephony/phone-numbers", agent_id)
        return self._object("POST", url, correlation_id, json=body)

    def get(self, agent_id: str, phone_number: str, *, correlation_id: str | None = None) -> _Obj:
        url = path("/v1/agents/{}/telephony/phone-numbers/{}", agent_id, phone_number)
        return self._object("GET", url, correlation_id)

    def reassign(
        self, agent_id: str, phone_number: str, connector_id: str, *, correlation_id: str | None = None
    ) -> _Obj:
        """Route the number to ``connector_id``."""
        url = path("/v1/agents/{}/telephony/phone-numbers/{}", agent_id, phone_number)
        return self._object("PATCH", url, correlation_id, json={"connectorId": connector_id})

    def delete(self, agent_id: str, phone_number: str, *, correlation_id: str | None = None) -> _Obj:
        """``{deleted}``."""
        url = path("/v1/agents/{}/telephony/phone-numbers/{}", agent_id, phone_number)
        return self._object("DELETE", url, correlation_id)


class SmsAPI(Namespace[_Obj, _Arr, _Nil]):
    """Sending SMS, the outbox of every message, and the inbound webhook (docs/sms.md)."""

    def send(
        self,
        connector_id: str,
        user_number: str,
        message: str,
        *,
        agent_number: str | None = None,
        correlation_id: str | None = None,
    ) -> _Nil:
        """PolyAI's outbound SMS: from a number of the connector (the first, or ``agent_number``)."""
        body = compact(user_number=user_number, message=message, agent_number=agent_number)
        call = Call(
            "POST",
            "/v1/outbound-sms",
            body,
            correlation_id=correlation_id,
            headers={"X-TOKEN-ID": connector_id},
        )
        return self._runner._call_empty(call)

    def list_messages(
        self,
        agent_id: str,
        *,
        status: str | None = None,
        to: str | None = None,
        direction: str | None = None,
        limit: int | None = None,
        correlation_id: str | None = None,
    ) -> _Obj:
        """``{messages: [...]}``, newest first; ``status`` is sent, failed, blocked_opt_out or received."""
        params = compact(status=status, to=to, direction=direction, limit=limit)
        return self._object(
            "GET", path("/v1/agents/{}/sms/messages", agent_id), correlation_id, params=params
        )

    def get_message(self, agent_id: str, message_id: str, *, correlation_id: str | None = None) -> _Obj:
        url = path("/v1/agents/{}/sms/messages/{}", agent_id, message_id)
        return self._object("GET", url, correlation_id)

    def receive(
        self, agent_id: str, *, sender: str, to: str, body: str, correlation_id: str | None = None
    ) -> _Obj:
        """Report a text a user sent to one of the agent's numbers; ``{messageId, action}``."""
        url = path("/v1/agents/{}/sms/inbound", agent_id)
        return self._object("POST", url, correlation_id, json={"from": sender, "to": to, "body": body})

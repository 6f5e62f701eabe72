"""Where an SMS goes once parley decides to send it: the outbox only, or a Twilio-compatible API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from parley.config import SmsSettings
from parley.kit.ids import new_id

# Upstream text quoted in a failure reason is bounded: it lands in a column and in API answers.
_REASON_CHARS = 300


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    sender: str
    body: str


class SmsProviderError(Exception):
    """The provider did not accept the message; ``reason`` says why, for the message record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:_REASON_CHARS]


class SmsProvider(Protocol):
    name: str

    async def send(self, message: OutgoingSms) -> str:
        """Hand the message over; returns the provider's id for it, raises SmsProviderError."""
        ...


class OutboxProvider:
    """Sends nothing: the message record in the outbox is the whole delivery (dev, demos, tests)."""

    name = "outbox"

    async def send(self, message: OutgoingSms) -> str:
        return new_id("OUTBOX", 16)


class TwilioProvider:
    """Twilio's Messages API (or anything that speaks it), form-encoded with basic auth."""

    name = "twilio"

    def __init__(self, base_url: str, account_sid: str, auth_token: str, timeout_seconds: float) -> None:
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = (account_sid, auth_token)
        self.timeout = timeout_seconds

    async def send(self, message: OutgoingSms) -> str:
        form = {"To": message.to, "From": message.sender, "Body": message.body}
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, data=form, auth=self.auth)
        except httpx.TimeoutException:
            raise SmsProviderError(f"The SMS provider did not answer within {self.timeout:g}s.") from None
        except httpx.HTTPError as exc:
            raise SmsProviderError(f"The SMS provider could not be reached ({type(exc).__name__}).") from None
        if not response.is_success:
            raise SmsProviderError(_upstream_failure(response))
        sid = _json(response).get("sid")
        if not isinstance(sid, str) or not sid:
            raise SmsProviderError("The SMS provider accepted the message but returned no message sid.")
        return sid[:100]


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _upstream_failure(response: httpx.Response) -> str:
    body = _json(response)
    detail = " ".join(str(part) for part in (body.get("code"), body.get("message")) if part not in (None, ""))
    reason = f"The SMS provider answered HTTP {response.status_code}"
    return f"{reason}: {detail}" if detail else f"{reason}."


def provider_for(settings: SmsSettings) -> SmsProvider:
    if settings.provider == "twilio":
        # SmsSettings refuses "twilio" without both credentials.
        assert settings.twilio_account_sid is not None and settings.twilio_auth_token is not None
        return TwilioProvider(
            settings.twilio_base_url,
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            settings.timeout_seconds,
        )
    return OutboxProvider()

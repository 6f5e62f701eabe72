"""The Twilio-compatible provider, against a fake Twilio at the HTTP boundary."""

from __future__ import annotations

import base64

import httpx
import pytest
from pydantic import ValidationError

from parley.config import SmsSettings
from parley.sms.providers import OutgoingSms, SmsProviderError, TwilioProvider, provider_for
from tests.sms.conftest import TWILIO_SID, TWILIO_TOKEN, twilio_settings
from tests.sms.fake_twilio import FakeTwilio, Scripted
from tests.sms.support import AGENT_LINE, GUEST, ask_for_directions, connector_with_number, messages
from tests.support.envelope import assert_error

ADMIN = {"x-api-key": "pk_test_admin_0123456789abcdefghijklm"}
MESSAGE = OutgoingSms(to=GUEST, sender=AGENT_LINE, body="Hello & welcome = ünïcødé 🛎️")


async def test_posts_the_form_with_basic_auth(twilio: FakeTwilio) -> None:
    provider = provider_for(twilio_settings(twilio))
    assert isinstance(provider, TwilioProvider)
    sid = await provider.send(MESSAGE)
    [request] = twilio.requests
    assert sid == request_sid(1)
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.form == {"To": GUEST, "From": AGENT_LINE, "Body": MESSAGE.body}
    expected = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert request.authorization == f"Basic {expected}"


def request_sid(n: int) -> str:
    return f"SM{n:032d}"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Scripted(400, {"code": 21211, "message": "Invalid 'To' Phone Number"}), "HTTP 400: 21211 Invalid"),
        (Scripted(401, {"code": 20003, "message": "Authenticate"}), "HTTP 401: 20003"),
        (Scripted(500, b"<html>oops</html>"), "HTTP 500."),
        (Scripted(503, {}), "HTTP 503."),
        (Scripted(201, {"status": "queued"}), "no message sid"),
        (Scripted(201, delay=3.0), "did not answer within 1s"),
    ],
)
async def test_upstream_failures_become_provider_errors(
    twilio: FakeTwilio, answer: Scripted, reason: str
) -> None:
    twilio.push(answer)
    with pytest.raises(SmsProviderError) as raised:
        # 1 s: long enough for a loaded machine to answer the quick cases, short for the slow one.
        await provider_for(twilio_settings(twilio, timeout_seconds=1.0)).send(MESSAGE)
    assert reason in raised.value.reason


async def test_an_unreachable_provider_is_a_provider_error() -> None:
    provider = TwilioProvider("http://127.0.0.1:9", TWILIO_SID, TWILIO_TOKEN, 1.0)
    with pytest.raises(SmsProviderError, match="could not be reached"):
        await provider.send(MESSAGE)


def test_twilio_needs_its_credentials() -> None:
    with pytest.raises(ValidationError, match="PARLEY_SMS_TWILIO_ACCOUNT_SID"):
        SmsSettings(provider="twilio", twilio_account_sid=TWILIO_SID)
    assert SmsSettings().provider == "outbox"


async def test_a_conversation_sends_through_twilio(
    twilio_client: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    await ask_for_directions(twilio_client, ADMIN)
    [message] = await messages(twilio_client, ADMIN)
    assert (message["status"], message["provider"], message["providerMessageId"]) == (
        "sent",
        "twilio",
        request_sid(1),
    )
    assert twilio.requests[0].form["Body"] == message["body"]
    assert twilio.requests[0].form["From"] == "+442079460102"


async def test_a_failed_sms_does_not_fail_the_turn(
    twilio_client: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    twilio.push(Scripted(500, {"message": "upstream down"}))
    await ask_for_directions(twilio_client, ADMIN)  # the reply arrives all the same
    [message] = await messages(twilio_client, ADMIN)
    assert (message["status"], message["provider"]) == ("failed", "twilio")
    assert "HTTP 500: upstream down" in message["reason"]
    twilio.push(Scripted(201, delay=2.0))
    await ask_for_directions(twilio_client, ADMIN)
    assert "did not answer" in (await messages(twilio_client, ADMIN))[0]["reason"]


async def test_the_outbound_endpoint_answers_502_and_keeps_the_failure(
    twilio_client: httpx.AsyncClient, twilio: FakeTwilio
) -> None:
    line = await connector_with_number(twilio_client, ADMIN)
    sent_headers = {"X-PolyAi-Auth-Token": ADMIN["x-api-key"], "X-TOKEN-ID": line["connectorId"]}
    body = {"user_number": GUEST, "message": "Hi"}
    assert (await twilio_client.post("/v1/outbound-sms", json=body, headers=sent_headers)).status_code == 202
    for answer in (Scripted(429, {"code": 20429, "message": "Too Many Requests"}), Scripted(201, delay=2.0)):
        twilio.push(answer)
        error = assert_error(
            await twilio_client.post("/v1/outbound-sms", json=body, headers=sent_headers), "BAD_GATEWAY"
        )
        stored = await twilio_client.get(
            f"/v1/agents/linden-hotel/sms/messages/{error['data']['messageId']}", headers=ADMIN
        )
        assert stored.json()["status"] == "failed" and stored.json()["reason"] == error["data"]["reason"]
    assert [m["status"] for m in await messages(twilio_client, ADMIN)] == ["failed", "failed", "sent"]

"""The demo agent loaded for every SMS test, and one fake Twilio server for the session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from parley.config import SmsSettings
from tests.conftest import make_settings, started_app
from tests.sms.fake_twilio import FakeTwilio, serving
from tests.sms.support import load_demo

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-test-auth-token"


@pytest.fixture
async def demo(app: FastAPI) -> str:
    return await load_demo(app)


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[FakeTwilio]:
    with serving(FakeTwilio()) as fake:
        yield fake


@pytest.fixture
def twilio(twilio_server: FakeTwilio) -> FakeTwilio:
    twilio_server.reset()
    return twilio_server


def twilio_settings(fake: FakeTwilio, timeout_seconds: float = 2.0) -> SmsSettings:
    return SmsSettings(
        provider="twilio",
        twilio_account_sid=TWILIO_SID,
        twilio_auth_token=TWILIO_TOKEN,  # type: ignore[arg-type]
        twilio_base_url=fake.url,
        timeout_seconds=timeout_seconds,
    )


@pytest.fixture
async def twilio_client(twilio: FakeTwilio, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that sends SMS through the fake Twilio, with the demo agent loaded."""
    settings = make_settings(database_url, sms=twilio_settings(twilio, timeout_seconds=0.5))
    async for app in started_app(settings):
        await load_demo(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as client:
            yield client

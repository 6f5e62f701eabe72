"""One fake OpenAI server for the session, emptied before each test, and a provider pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from parley.config import RuntimeSettings
from parley.runtime.providers.openai import OpenAIProvider
from tests.providers.fake_openai import FakeOpenAI, serving

API_KEY = "sk-test-0123456789-secret"
MODEL = "test-model"


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAI]:
    with serving(FakeOpenAI()) as fake:
        yield fake


@pytest.fixture
def fake(fake_server: FakeOpenAI) -> FakeOpenAI:
    fake_server.reset()
    return fake_server


def runtime_settings(fake: FakeOpenAI, **overrides: object) -> RuntimeSettings:
    values: dict[str, object] = {
        "provider": "openai",
        "openai_base_url": fake.url,
        "openai_api_key": API_KEY,
        "openai_model": MODEL,
        "openai_timeout_seconds": 5.0,
    }
    values.update(overrides)
    return RuntimeSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def provider(fake: FakeOpenAI) -> AsyncIterator[OpenAIProvider]:
    made = OpenAIProvider(runtime_settings(fake), retry_backoff_seconds=0.01)
    yield made
    await made.aclose()

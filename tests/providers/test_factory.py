"""create_provider: rules by default, openai when configured, and a refusal at startup when the
openai settings cannot work."""

from __future__ import annotations

import pytest

from parley.app import create_app
from parley.config import RuntimeSettings
from parley.runtime.providers.factory import ProviderConfigurationError, create_provider
from parley.runtime.providers.openai import OpenAIProvider
from parley.runtime.providers.rules import RulesProvider
from tests.conftest import make_settings


def test_rules_is_the_default() -> None:
    assert isinstance(create_provider(RuntimeSettings(provider="rules")), RulesProvider)


def test_openai_when_configured() -> None:
    settings = RuntimeSettings(provider="openai", openai_base_url=" http://127.0.0.1:11434/v1/ ")
    provider = create_provider(settings)
    assert isinstance(provider, OpenAIProvider)
    assert provider.url == "http://127.0.0.1:11434/v1/chat/completions"


@pytest.mark.parametrize("url", ["", "   ", "api.openai.com/v1", "ftp://models.example/v1", "https://"])
def test_unusable_base_url_is_refused(url: str) -> None:
    with pytest.raises(ProviderConfigurationError, match="PARLEY_RUNTIME_OPENAI_BASE_URL"):
        create_provider(RuntimeSettings(provider="openai", openai_base_url=url))


def test_empty_model_is_refused() -> None:
    with pytest.raises(ProviderConfigurationError, match="PARLEY_RUNTIME_OPENAI_MODEL"):
        create_provider(RuntimeSettings(provider="openai", openai_model=" "))


async def test_the_app_does_not_start_without_a_base_url(database_url: str) -> None:
    app = create_app(
        make_settings(database_url, runtime=RuntimeSettings(provider="openai", openai_base_url=""))
    )
    try:
        with pytest.raises(ProviderConfigurationError):
            async with app.router.lifespan_context(app):
                pass  # pragma: no cover - startup fails first
    finally:
        await app.state.engine.dispose()

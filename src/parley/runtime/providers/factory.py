"""Choose the model provider from settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from parley.config import RuntimeSettings
from parley.runtime.providers.base import ModelProvider
from parley.runtime.providers.openai import OpenAIProvider
from parley.runtime.providers.rules import RulesProvider


class ProviderConfigurationError(ValueError):
    """The settings name a provider it cannot be built from; raised at startup, not at first use."""


def create_provider(settings: RuntimeSettings) -> ModelProvider:
    if settings.provider == "openai":
        _check_openai(settings)
        return OpenAIProvider(settings)
    return RulesProvider()


def _check_openai(settings: RuntimeSettings) -> None:
    url = settings.openai_base_url.strip()
    parts = urlsplit(url)
    if not url or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderConfigurationError(
            "PARLEY_RUNTIME_PROVIDER=openai needs PARLEY_RUNTIME_OPENAI_BASE_URL set to the http(s) "
            "URL of an OpenAI-compatible API, the part before /chat/completions "
            "(for example https://api.openai.com/v1)."
        )
    if not settings.openai_model.strip():
        raise ProviderConfigurationError("PARLEY_RUNTIME_PROVIDER=openai needs PARLEY_RUNTIME_OPENAI_MODEL.")

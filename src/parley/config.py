"""Typed settings, nested by concern. Each group reads its own ``PARLEY_*`` variables.

The flat variable names (``PARLEY_DATABASE_URL``, ``PARLEY_RATE_LIMIT_BURST`` ...) are a public
contract for scripts, so each concern is its own settings class with the matching prefix rather
than one class with a nested delimiter.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Region = Literal["us-1", "uk-1", "euw-1", "studio"]


def normalise_database_url(url: str) -> str:
    """Accept the plain driver-less URL forms and point them at the async drivers."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain) :]
    return url


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_DATABASE_", extra="ignore")

    url: str = "sqlite+aiosqlite:///./parley.db"
    echo: bool = False
    pool_size: int = 10

    @field_validator("url")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return normalise_database_url(value)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class RedisSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_REDIS_", extra="ignore")

    url: str | None = None
    key_prefix: str = "parley:"


class RateLimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_RATE_LIMIT_", extra="ignore")

    per_second: float = Field(default=20.0, gt=0)
    burst: int = Field(default=100, ge=1)


class BootstrapSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_BOOTSTRAP_", extra="ignore")

    api_key: str | None = None
    operator_key: str | None = None


class LimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_LIMITS_", extra="ignore")

    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    # How long a worker may trust its cached maintenance flag before asking the database again.
    maintenance_cache_seconds: float = Field(default=1.0, ge=0)


class SandboxSettings(BaseSettings):
    """Limits of the worker processes that run user functions (src/parley/runtime/sandbox)."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_SANDBOX_", extra="ignore")

    # Workers mostly wait (for a fork, for the child, for the loop to read the reply), so a few
    # more than the cores keeps 16 concurrent conversations from queueing behind two slots.
    pool_size: int = Field(default=4, ge=1, le=64)
    timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    memory_mb: int = Field(default=256, ge=64, le=65536)
    max_output_bytes: int = Field(default=1_000_000, ge=4096, le=64 * 1024 * 1024)
    max_input_bytes: int = Field(default=1_000_000, ge=4096, le=64 * 1024 * 1024)
    max_effects: int = Field(default=1000, ge=1, le=100_000)
    # auto: use a network namespace where the host allows it; required: refuse to run without one.
    network_namespace: Literal["auto", "required", "off"] = "auto"
    # When the server runs as root, workers drop to this uid/gid (nobody); None keeps root.
    run_as_uid: int | None = Field(default=65534, ge=1)
    start_timeout_seconds: float = Field(default=15.0, gt=0)


class RuntimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_RUNTIME_", extra="ignore")

    # A conversation idle longer than this is ended; a message to it answers CHAT_TIMEOUT.
    chat_timeout_seconds: float = Field(default=1800.0, gt=0)
    # How often abandoned conversations (idle past chat_timeout_seconds) are ended; 0: never, they
    # then end only when their next message arrives.
    sweep_interval_seconds: float = Field(default=60.0, ge=0)
    # How long a message waits for the previous one of the same conversation to finish.
    lock_wait_seconds: float = Field(default=30.0, gt=0)
    provider: Literal["rules", "openai"] = "rules"
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: str | None = None
    openai_model: str = "gpt-4o-mini"
    # Below the request time limit (30 s), so a slow model answers 502, not 408.
    openai_timeout_seconds: float = Field(default=20.0, gt=0)
    retrieval_threshold: float = Field(default=0.3, ge=0)


class MessagingSettings(BaseSettings):
    """Webchat messaging (docs/webchat.md): access tokens, sessions, the WebSocket's limits."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_MESSAGING_", extra="ignore")

    # Signs access tokens. Unset: a secret generated once and kept in the database, so that every
    # worker and host sharing the database agrees on it. Changing it invalidates issued tokens.
    secret: SecretStr | None = Field(default=None, min_length=32)
    access_token_ttl_seconds: int = Field(default=86400, ge=1)
    # A session with no client message for this long is ended (REASON_USER_ABANDONED).
    session_idle_seconds: float = Field(default=600.0, gt=0)
    # Advertised to clients; a socket that sends nothing for heartbeat_timeout_seconds is closed 4408.
    heartbeat_interval_seconds: int = Field(default=30, ge=1)
    heartbeat_timeout_seconds: float = Field(default=90.0, gt=0)
    max_connections_per_session: int = Field(default=10, ge=1)
    max_message_bytes: int = Field(default=131072, ge=1024)
    max_reconnect_attempts: int = Field(default=5, ge=0)
    stream_chunk_chars: int = Field(default=48, ge=1)
    replay_batch_size: int = Field(default=100, ge=1)


class SmsSettings(BaseSettings):
    """How SMS leave the server (docs/sms.md): kept in the outbox only, or sent through Twilio."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_SMS_", extra="ignore")

    provider: Literal["outbox", "twilio"] = "outbox"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    # Any Twilio-compatible API (a regional edge, a test double) can stand in for Twilio's own.
    twilio_base_url: str = "https://api.twilio.com"
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _twilio_needs_credentials(self) -> SmsSettings:
        if self.provider == "twilio" and not (self.twilio_account_sid and self.twilio_auth_token):
            raise ValueError(
                "PARLEY_SMS_PROVIDER=twilio needs PARLEY_SMS_TWILIO_ACCOUNT_SID and "
                "PARLEY_SMS_TWILIO_AUTH_TOKEN"
            )
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    region: Region = "us-1"
    log_level: str = "INFO"
    log_json: bool = True
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    bootstrap: BootstrapSettings = Field(default_factory=BootstrapSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    messaging: MessagingSettings = Field(default_factory=MessagingSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    examples_dir: Path | None = None
    # Freeze start-up objects out of the garbage collector (a server process; off in tests, which
    # build hundreds of apps in one process).
    gc_freeze: bool = True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

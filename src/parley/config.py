"""Typed settings, nested by concern. Each group reads its own ``PARLEY_*`` variables.

The flat variable names (``PARLEY_DATABASE_URL``, ``PARLEY_RATE_LIMIT_BURST`` ...) are a public
contract for scripts, so each concern is its own settings class with the matching prefix rather
than one class with a nested delimiter.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
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
    examples_dir: Path | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

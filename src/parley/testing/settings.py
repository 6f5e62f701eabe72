"""Settings of background test runs (environment variables PARLEY_TESTING_*)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TestingSettings(BaseSettings):
    __test__ = False
    model_config = SettingsConfigDict(env_prefix="PARLEY_TESTING_", extra="ignore")

    # One case longer than this ends timed_out.
    case_timeout_seconds: float = Field(default=60.0, gt=0)
    # A run whose worker has not shown signs of life for this long is taken over by another.
    stale_after_seconds: float = Field(default=300.0, gt=0)
    # How often each worker looks for pending runs and abandoned ones.
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    # A run interrupted this many times ends errored instead of being resumed again.
    max_attempts: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _stale_outlasts_a_case(self) -> TestingSettings:
        # The heartbeat is refreshed between cases, so a live worker looks stale during a long one.
        if self.stale_after_seconds <= self.case_timeout_seconds:
            raise ValueError(
                "PARLEY_TESTING_STALE_AFTER_SECONDS must exceed PARLEY_TESTING_CASE_TIMEOUT_SECONDS"
            )
        return self

"""The deployment environments, in promotion order."""

from __future__ import annotations

ENVIRONMENTS = ("sandbox", "pre-release", "live")
SANDBOX, PRE_RELEASE, LIVE = ENVIRONMENTS


def stage(environment: str) -> int:
    return ENVIRONMENTS.index(environment)


def next_stage(environment: str) -> str | None:
    index = stage(environment) + 1
    return ENVIRONMENTS[index] if index < len(ENVIRONMENTS) else None

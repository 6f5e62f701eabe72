"""Maintenance mode: a flag in the database so that the CLI can switch every worker at once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.models import SystemFlag

MAINTENANCE_FLAG = "maintenance"


@dataclass(frozen=True)
class MaintenanceState:
    message: str | None
    retry_after_seconds: int


class MaintenanceSwitch:
    """Reads the flag at most once per ``cache_seconds`` per worker, so the check costs nothing."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], cache_seconds: float) -> None:
        self.sessionmaker = sessionmaker
        self.cache_seconds = cache_seconds
        self._cached: MaintenanceState | None = None
        self._read_at = float("-inf")

    async def current(self) -> MaintenanceState | None:
        now = time.monotonic()
        if now - self._read_at >= self.cache_seconds:
            async with self.sessionmaker() as session:
                self._cached = await read_maintenance(session)
            self._read_at = now
        return self._cached


async def read_maintenance(session: AsyncSession) -> MaintenanceState | None:
    value = await session.scalar(select(SystemFlag.value).where(SystemFlag.key == MAINTENANCE_FLAG))
    if value is None:
        return None
    return MaintenanceState(
        message=value.get("message"), retry_after_seconds=int(value.get("retryAfterSeconds", 60))
    )


async def enable_maintenance(session: AsyncSession, message: str | None, retry_after_seconds: int) -> None:
    value: dict[str, Any] = {"message": message, "retryAfterSeconds": retry_after_seconds}
    flag = await session.get(SystemFlag, MAINTENANCE_FLAG)
    if flag is None:
        session.add(SystemFlag(key=MAINTENANCE_FLAG, value=value))
    else:
        flag.value = value
    await session.flush()


async def disable_maintenance(session: AsyncSession) -> None:
    await session.execute(delete(SystemFlag).where(SystemFlag.key == MAINTENANCE_FLAG))

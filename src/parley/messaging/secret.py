"""The key access tokens are signed with, the same in every worker and on every host.

``PARLEY_MESSAGING_SECRET`` wins when set. Otherwise a random secret is created on first use and
kept in the ``system_flag`` table: every process sharing the database reads the same one, so a
token issued by one worker is accepted by all the others, and restarts do not log clients out.
"""

from __future__ import annotations

import asyncio
import secrets

from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.models import SystemFlag

SECRET_FLAG = "messaging_secret"  # noqa: S105 - the flag's key, not its value


class SigningSecret:
    """Resolved once per worker; the database is read (or written) on the first token only."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], configured: SecretStr | None) -> None:
        self._sessionmaker = sessionmaker
        self._value = configured.get_secret_value().encode("utf-8") if configured else None
        self._lock = asyncio.Lock()

    async def get(self) -> bytes:
        if self._value is None:
            async with self._lock:
                if self._value is None:
                    self._value = (await stored_secret(self._sessionmaker)).encode("utf-8")
        return self._value


async def stored_secret(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    """The secret in the database, created by whichever worker gets there first."""
    async with sessionmaker() as session:
        existing = await _read(session)
        if existing is not None:
            return existing
        session.add(SystemFlag(key=SECRET_FLAG, value={"secret": secrets.token_urlsafe(48)}))
        try:
            await session.commit()
        except IntegrityError:
            # Another worker created it between our read and our insert: use theirs.
            await session.rollback()
        found = await _read(session)
        if found is None:
            raise RuntimeError("the messaging secret could not be stored")
        return found


async def _read(session: AsyncSession) -> str | None:
    flag = await session.get(SystemFlag, SECRET_FLAG, populate_existing=True)
    if flag is None:
        return None
    value = flag.value.get("secret")
    return value if isinstance(value, str) and value else None

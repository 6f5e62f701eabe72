"""Apply migrations in code: at `parley serve` start, from the CLI, and to build test databases."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
# Any fixed number: PostgreSQL advisory locks are keyed by integers.
_STARTUP_LOCK_KEY = 7_263_540_118


def alembic_config(database_url: str) -> Config:
    # stdout looked up now, not at import: `parley db current` output must follow redirection.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = database_url
    return config


@asynccontextmanager
async def startup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Held while a process migrates and bootstraps, so that workers or hosts starting together
    do it once and the others wait (PostgreSQL advisory lock; SQLite's writer lock suffices)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _STARTUP_LOCK_KEY})
        await connection.commit()
        try:
            yield
        finally:
            await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _STARTUP_LOCK_KEY})
            await connection.commit()


async def upgrade_to_head(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.run_sync(_upgrade, str(engine.url.render_as_string(hide_password=False)))
        await connection.commit()


def _upgrade(connection: object, url: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")

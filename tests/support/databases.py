"""Real databases for tests: SQLite files, or throwaway PostgreSQL databases.

Every test database is built by running the migrations, never by ``create_all``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from parley.config import normalise_database_url


def is_postgres(url: str | None) -> bool:
    return bool(url) and normalise_database_url(url or "").startswith("postgresql")


async def scratch_database(base_url: str | None, tmp_dir: Path, name: str) -> str:
    """A new, empty database: a SQLite file in tmp_dir, or a fresh database on base_url's server."""
    if not is_postgres(base_url):
        return f"sqlite+aiosqlite:///{tmp_dir / (name + '.db')}"
    assert base_url is not None
    url = make_url(normalise_database_url(base_url))
    db_name = f"parley_{name}_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    finally:
        await admin.dispose()
    return url.set(database=db_name).render_as_string(hide_password=False)


async def drop_database(url: str, base_url: str | None) -> None:
    if not is_postgres(url):
        return
    assert base_url is not None
    db_name = make_url(url).database
    admin = create_async_engine(make_url(normalise_database_url(base_url)), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    finally:
        await admin.dispose()

"""Fixtures: the real app, over ASGI, on a real migrated database (SQLite, or PostgreSQL + Redis).

PARLEY_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test and
PARLEY_TEST_REDIS_URL=redis://127.0.0.1:6379/0 switch the whole suite to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from parley.accounts.service import bootstrap
from parley.app import create_app
from parley.config import (
    BootstrapSettings,
    DatabaseSettings,
    LimitSettings,
    RateLimitSettings,
    RedisSettings,
    Settings,
)
from parley.kit.db import create_engine, create_sessionmaker
from parley.kit.migrate import upgrade_to_head
from parley.models import Base
from tests.support.databases import drop_database, is_postgres, scratch_database

BASE_DATABASE_URL = os.environ.get("PARLEY_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL")
OPERATOR_KEY = "pk_test_operator_0123456789abcdefghij"
ADMIN_KEY = "pk_test_admin_0123456789abcdefghijklm"


@pytest.fixture(scope="session")
async def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """Migrated once per session: a template SQLite file, or a PostgreSQL database."""
    tmp = tmp_path_factory.mktemp("db")
    url = await scratch_database(BASE_DATABASE_URL, tmp, "suite")
    engine = create_engine(DatabaseSettings(url=url))
    await upgrade_to_head(engine)
    await engine.dispose()
    yield url
    await drop_database(url, BASE_DATABASE_URL)


@pytest.fixture
async def database_url(migrated_database: str, tmp_path: Path) -> AsyncIterator[str]:
    if not is_postgres(migrated_database):
        template = Path(migrated_database.removeprefix("sqlite+aiosqlite:///"))
        copy = tmp_path / "test.db"
        shutil.copyfile(template, copy)
        yield f"sqlite+aiosqlite:///{copy}"
        return
    yield migrated_database
    engine = create_engine(DatabaseSettings(url=migrated_database))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    await engine.dispose()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database": DatabaseSettings(url=database_url),
        "redis": RedisSettings(url=REDIS_URL, key_prefix=f"parley-test-{uuid.uuid4().hex[:12]}:"),
        "rate_limit": RateLimitSettings(per_second=1000, burst=10000),
        "bootstrap": BootstrapSettings(api_key=ADMIN_KEY, operator_key=OPERATOR_KEY),
        "limits": LimitSettings(maintenance_cache_seconds=0),
        "log_json": True,
        "gc_freeze": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


async def started_app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with create_sessionmaker(app.state.engine)() as session:
        await bootstrap(session, settings.bootstrap)
        await session.commit()
    async with app.router.lifespan_context(app):
        yield app
        if app.state.redis is not None:
            keys = [k async for k in app.state.redis.scan_iter(f"{settings.redis.key_prefix}*")]
            if keys:
                await app.state.redis.delete(*keys)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async for started in started_app(settings):
        yield started


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parley.test") as c:
        yield c


@pytest.fixture
def admin() -> dict[str, str]:
    return {"x-api-key": ADMIN_KEY}


@pytest.fixture
def operator() -> dict[str, str]:
    return {"x-api-key": OPERATOR_KEY}

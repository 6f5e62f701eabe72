"""Prepared statements (kit/prepared.py): the same rows and writes as SQLAlchemy, in the session's
transaction, with SQLAlchemy's execution skipped only on parley's own SQLite connection.

They use SQLite files (and one in-memory database, which runs on aiosqlite) whatever database the
suite runs on; on PostgreSQL the chat and auth tests run every prepared statement through the
session path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.config import DatabaseSettings
from parley.kit.db import UTCDateTime, create_engine, create_sessionmaker
from parley.kit.prepared import Prepared

METADATA = MetaData()
ITEMS = Table(
    "item",
    METADATA,
    Column("id", String, primary_key=True),
    Column("status", String, nullable=False),
    Column("seen_at", UTCDateTime, nullable=True),
    Column("data", JSON, nullable=True),
    Column("flag", Boolean, nullable=False),
    Column("count", Integer, nullable=False),
)
INSERT = Prepared(insert(ITEMS))
BY_ID = Prepared(select(ITEMS).where(ITEMS.c.id == bindparam("match_id")))
ACTIVE_LABELLED = Prepared(
    select(ITEMS.c.id.label("item_id"), ITEMS.c.seen_at)
    .where(ITEMS.c.status == "active")
    .order_by(ITEMS.c.id)
    .limit(bindparam("batch"))
)
# A value fixed in the statement ("closed") and a condition on a timestamp, as the idle claim has.
CLOSE_IF_UNSEEN = Prepared(
    update(ITEMS)
    .where(ITEMS.c.id == bindparam("match_id"), ITEMS.c.seen_at == bindparam("seen"))
    .values(status="closed")
)

SEEN = datetime(2026, 11, 27, 3, 4, 5, 678901, tzinfo=UTC)


def _item(item_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": item_id,
        "status": "active",
        "seen_at": SEEN,
        "data": {"naïve": ["ünïcode", 1, None], "quote": "'; DROP TABLE item; --"},
        "flag": True,
        "count": 3,
    }
    values.update(overrides)
    return values


async def _engine(url: str) -> AsyncEngine:
    engine = create_engine(DatabaseSettings(url=url))
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    return engine


@pytest.fixture(params=["file", "memory"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """parley's inline SQLite connection (a file), and aiosqlite (in memory), which falls back."""
    url = f"sqlite:///{tmp_path / 'prepared.db'}" if request.param == "file" else "sqlite+aiosqlite://"
    engine = await _engine(url)
    yield engine
    await engine.dispose()


def _statements_seen_by_sqlalchemy(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    return seen


async def test_rows_written_and_read_as_sqlalchemy_writes_and_reads_them(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await INSERT.write(session, _item("prepared"))
        await session.execute(insert(ITEMS), _item("core"))
        await session.commit()
    async with sessions() as session:
        core_rows = {row.id: dict(row._mapping) for row in await session.execute(select(ITEMS))}
        prepared_rows = {
            item: await BY_ID.first(session, {"match_id": item}) for item in ("prepared", "core")
        }
    expected = _item("x")
    for item in ("prepared", "core"):
        assert core_rows[item] == prepared_rows[item] == {**expected, "id": item}
    # Timestamps come back timezone-aware UTC, as through the ORM.
    assert prepared_rows["core"] is not None and prepared_rows["core"]["seen_at"].tzinfo is UTC


async def test_none_and_other_offsets_are_stored_as_sqlalchemy_stores_them(engine: AsyncEngine) -> None:
    elsewhere = SEEN.astimezone(timezone(timedelta(hours=5, minutes=30)))
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await INSERT.write(session, _item("a", seen_at=elsewhere, data=None, flag=False))
        await session.execute(insert(ITEMS), _item("b", seen_at=elsewhere, data=None, flag=False))
        await session.commit()
        a, b = await BY_ID.first(session, {"match_id": "a"}), await BY_ID.first(session, {"match_id": "b"})
    assert a is not None and b is not None
    assert {**a, "id": "b"} == b
    assert a["seen_at"] == SEEN and a["flag"] is False and a["data"] is None


async def test_labels_constants_and_bound_limits(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        for item, status in (("1", "active"), ("2", "closed"), ("3", "active"), ("4", "active")):
            await INSERT.write(session, _item(item, status=status))
        rows = await ACTIVE_LABELLED.rows(session, {"batch": 2})
    assert rows == [{"item_id": "1", "seen_at": SEEN}, {"item_id": "3", "seen_at": SEEN}]


async def test_writes_report_the_rows_they_touched(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await INSERT.write(session, _item("a"))
        assert (
            await CLOSE_IF_UNSEEN.write(session, {"match_id": "a", "seen": SEEN + timedelta(seconds=1)}) == 0
        )
        assert await CLOSE_IF_UNSEEN.write(session, {"match_id": "a", "seen": SEEN}) == 1
        assert await CLOSE_IF_UNSEEN.write(session, {"match_id": "missing", "seen": SEEN}) == 0
        row = await BY_ID.first(session, {"match_id": "a"})
    assert row is not None and row["status"] == "closed"


async def test_prepared_writes_belong_to_the_sessions_transaction(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await INSERT.write(session, _item("kept"))
        await session.commit()
        # After a commit the next statement starts a new transaction, not the committed one.
        await INSERT.write(session, _item("dropped"))
        await session.execute(update(ITEMS).where(ITEMS.c.id == "kept").values(count=99))
        await session.rollback()
    async with sessions() as session:
        ids = [row.id for row in await session.execute(select(ITEMS.c.id, ITEMS.c.count))]
        kept = await BY_ID.first(session, {"match_id": "kept"})
    assert ids == ["kept"]
    assert kept is not None and kept["count"] == 3


async def test_after_a_commit_the_session_never_writes_on_the_connection_it_gave_back(
    tmp_path: Path,
) -> None:
    engine = await _engine(f"sqlite:///{tmp_path / 'handed-on.db'}")
    sessions = create_sessionmaker(engine)
    async with sessions() as first, sessions() as second:
        await INSERT.write(first, _item("one"))
        await first.commit()
        # The connection `first` gave back is the one the pool hands `second` next.
        assert await BY_ID.first(second, {"match_id": "one"}) is not None
        await INSERT.write(first, _item("two"))
        await second.rollback()
        await first.commit()
    async with sessions() as session:
        assert await BY_ID.first(session, {"match_id": "two"}) is not None
    await engine.dispose()


async def test_a_missing_parameter_is_refused_before_anything_runs(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        with pytest.raises(Exception, match="match_id"):
            await BY_ID.first(session, {})


async def test_only_parleys_own_sqlite_connection_skips_sqlalchemy(tmp_path: Path) -> None:
    for url, skipped in ((f"sqlite:///{tmp_path / 'inline.db'}", True), ("sqlite+aiosqlite://", False)):
        engine = await _engine(url)
        seen = _statements_seen_by_sqlalchemy(engine)
        async with create_sessionmaker(engine)() as session:
            await INSERT.write(session, _item("a"))
            assert await BY_ID.first(session, {"match_id": "a"}) is not None
            await session.commit()
        await engine.dispose()
        assert (seen == []) is skipped, (url, seen)


async def test_sessions_do_not_share_a_remembered_connection(tmp_path: Path) -> None:
    engine = await _engine(f"sqlite:///{tmp_path / 'two.db'}")
    sessions = create_sessionmaker(engine)
    async with sessions() as first, sessions() as second:
        await INSERT.write(first, _item("first"))
        # The second session does not see the first one's uncommitted row.
        assert await BY_ID.first(second, {"match_id": "first"}) is None
        await first.commit()
        assert await BY_ID.first(second, {"match_id": "first"}) is not None
    await engine.dispose()


async def test_database_errors_are_sqlalchemys_and_keep_values_out_of_the_message(
    engine: AsyncEngine,
) -> None:
    secret = "pk_never_in_a_message_0123456789"
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await INSERT.write(session, _item(secret))
        with pytest.raises(IntegrityError) as raised:
            await INSERT.write(session, _item(secret))
        await session.rollback()
    assert isinstance(raised.value.orig, sqlite3.IntegrityError)
    assert "UNIQUE" in str(raised.value)
    assert secret not in str(raised.value)

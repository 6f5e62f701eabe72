"""SQLite connections of the async engine: inline buffered cursors, writers queued in-process.

They test the SQLite layer itself, so they use SQLite files whatever database the suite runs on.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.elements import TextClause

from parley.config import DatabaseSettings
from parley.kit.db import create_engine, off_loop
from parley.kit.logging import configure_logging
from parley.kit.sqlite import BACKSTOP_AUTOCHECKPOINT_PAGES, CHECKPOINT_EVERY_WRITES, gated_connector


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DatabaseSettings(url=f"sqlite:///{tmp_path / 'gate.db'}"))
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM item"))).scalar_one())


async def test_rows_rowcount_and_empty_results_come_back(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO item (name) VALUES ('a'), ('b'), ('c')"))
        updated = await conn.execute(text("UPDATE item SET name = name || '!' WHERE name != 'c'"))
        assert updated.rowcount == 2
        rows = (await conn.execute(text("SELECT name FROM item ORDER BY id"))).all()
        assert [r[0] for r in rows] == ["a!", "b!", "c"]
        assert (await conn.execute(text("SELECT name FROM item WHERE id = 99"))).first() is None


async def test_concurrent_writers_all_commit(engine: AsyncEngine) -> None:
    async def writer(worker: int) -> None:
        for i in range(20):
            async with engine.begin() as conn:
                await conn.execute(text("SELECT count(*) FROM item"))
                await conn.execute(text("INSERT INTO item (name) VALUES (:n)"), {"n": f"{worker}-{i}"})
                await asyncio.sleep(0)  # other work of the request, while the write is open

    await asyncio.gather(*(writer(w) for w in range(16)))
    assert await _count(engine) == 320


async def test_a_second_writer_starts_when_the_first_commits(engine: AsyncEngine) -> None:
    first = await engine.connect()
    await first.begin()
    await first.execute(text("INSERT INTO item (name) VALUES ('first')"))

    async def second() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO item (name) VALUES ('second')"))

    waiting = asyncio.create_task(second())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    # Readers are not queued behind the writer, and see what was committed before it.
    assert await asyncio.wait_for(_count(engine), 2) == 0
    await first.commit()
    await first.close()
    await asyncio.wait_for(waiting, 2)
    assert await _count(engine) == 2


async def test_rollback_and_failed_statements_let_the_next_writer_in(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.begin()
        await conn.execute(text("INSERT INTO item (name) VALUES ('gone')"))
        await conn.rollback()
    async with engine.connect() as conn:
        with pytest.raises(OperationalError):
            await conn.execute(text("INSERT INTO no_such_table VALUES (1)"))
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO item (name) VALUES ('dup')"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO item (name) VALUES ('dup')"))
    async with asyncio.timeout(2):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO item (name) VALUES ('next')"))
    assert await _count(engine) == 2


async def test_a_writer_waits_no_longer_than_the_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'timeout.db'}"
    engine = create_async_engine(url, async_creator=gated_connector(url, {"timeout": 0.2}))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY)"))
        holder = await engine.connect()
        await holder.begin()
        await holder.execute(text("INSERT INTO item (id) VALUES (1)"))
        with pytest.raises(OperationalError, match="database is locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO item (id) VALUES (2)"))
        await holder.commit()
        await holder.close()
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO item (id) VALUES (3)"))
    finally:
        await engine.dispose()


async def _ticks_while(awaitable: Any) -> tuple[Any, int]:
    """Runs awaitable beside a 1 ms ticker: a loop blocked by the statement would stop the ticks."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            await asyncio.sleep(0.001)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        return await awaitable, ticks
    finally:
        stop.set()
        await task


async def test_a_lock_held_by_another_process_is_waited_for_without_blocking_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    engine = create_engine(DatabaseSettings(url=f"sqlite:///{path}"))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY)"))
        # A plain sqlite3 connection takes the file's write lock the way another process would.
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO item (id) VALUES (1)")

        async def write() -> int:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO item (id) VALUES (2)"))
            return await _count(engine)

        async def release_later() -> None:
            await asyncio.sleep(0.3)
            other.execute("COMMIT")

        releaser = asyncio.create_task(release_later())
        count, ticks = await _ticks_while(write())
        await releaser
        other.close()
        assert count == 2
        # The writer waited ~0.3 s; the loop kept running meanwhile (a blocked loop ticks ~0 times).
        assert ticks >= 50
    finally:
        await engine.dispose()


async def test_a_lock_held_elsewhere_past_the_timeout_fails_as_sqlite_does(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_async_engine(url, async_creator=gated_connector(url, {"timeout": 0.2}))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY)"))
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="database is locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO item (id) VALUES (1)"))
        other.execute("ROLLBACK")
        other.close()
        # Nothing was half-written and the in-process gate was released: the next writer goes in.
        async with asyncio.timeout(2):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO item (id) VALUES (2)"))
        async with engine.connect() as conn:
            ids = (await conn.execute(text("SELECT id FROM item"))).scalars().all()
        assert ids == [2]
    finally:
        await engine.dispose()


def _counting_to(n: int) -> TextClause:
    """A read-only statement that takes as long as you like: SQLite counts to n."""
    return text(
        "SELECT count(*) FROM (WITH RECURSIVE c(x) AS "
        "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :n) SELECT x FROM c)"
    ).bindparams(n=n)


async def test_a_long_read_moves_off_the_loop_and_still_answers(engine: AsyncEngine) -> None:
    long_count = _counting_to(2_000_000)

    async def read() -> int:
        async with engine.connect() as conn:
            return int((await conn.execute(long_count)).scalar_one())

    started = time.perf_counter()
    count, ticks = await _ticks_while(read())
    elapsed = time.perf_counter() - started
    assert count == 2_000_000
    # Interrupted after its inline budget and finished on a worker thread: the loop kept ticking
    # for most of the statement's run (a statement held on the loop would allow ~0 ticks).
    assert elapsed > 0.1
    assert ticks >= elapsed * 1000 / 4


async def test_an_interrupted_read_leaves_the_open_write_intact(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO item (name) VALUES ('kept')"))
        assert (await conn.execute(_counting_to(1_000_000))).scalar_one() == 1_000_000
        await conn.execute(text("INSERT INTO item (name) VALUES ('also kept')"))
    assert await _count(engine) == 2


async def test_a_cancelled_long_read_stops_and_frees_the_connection(engine: AsyncEngine) -> None:
    endless = _counting_to(500_000_000)  # minutes of work

    async def read() -> None:
        async with engine.connect() as conn:
            await conn.execute(endless)

    task = asyncio.create_task(read())
    await asyncio.sleep(0.2)  # past the inline budget: the read is on a worker thread now
    task.cancel()
    started = time.perf_counter()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Interrupted, not waited out (it would run for minutes), and the pool's connections still work.
    assert time.perf_counter() - started < 2
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO item (name) VALUES ('after')"))
    assert await _count(engine) == 1


async def test_a_statement_marked_off_loop_runs_on_a_worker_thread(engine: AsyncEngine) -> None:
    def register(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread_id", 0, threading.get_ident)

    event.listen(engine.sync_engine, "connect", register)
    await engine.dispose()  # new connections, with the function
    loop_thread = threading.get_ident()
    async with engine.connect() as conn:
        inline = (await conn.execute(select(func.thread_id()))).scalar_one()
        marked = (await conn.execute(off_loop(select(func.thread_id())))).scalar_one()
    assert inline == loop_thread
    assert marked != loop_thread


def _rows_in_database_file(path: Path) -> int:
    """Rows the main database file holds, ignoring the write-ahead log (what was checkpointed)."""
    reader = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        if reader.execute("SELECT 1 FROM sqlite_master WHERE name = 'item'").fetchone() is None:
            return 0  # not even the CREATE TABLE has reached the file
        return int(reader.execute("SELECT count(*) FROM item").fetchone()[0])
    finally:
        reader.close()


async def _gate_of(engine: AsyncEngine) -> Any:
    async with engine.connect() as conn:
        inline = (await conn.get_raw_connection()).driver_connection
    assert inline is not None
    return inline._gate


async def test_the_log_is_checkpointed_off_the_loop_every_so_many_writes(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    path = tmp_path / "gate.db"  # the engine fixture's file
    async with engine.connect() as conn:
        backstop = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one()
    assert backstop == BACKSTOP_AUTOCHECKPOINT_PAGES
    # SQLite's own checkpoint would wait for thousands of pages: these writes stay in the log.
    for i in range(CHECKPOINT_EVERY_WRITES - 1):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO item (name) VALUES (:n)"), {"n": f"row {i}"})
    assert _rows_in_database_file(path) == 0
    async with engine.begin() as conn:  # the write that reaches the count
        await conn.execute(text("INSERT INTO item (name) VALUES ('last')"))
    gate = await _gate_of(engine)
    await gate.checkpointed()
    assert _rows_in_database_file(path) == CHECKPOINT_EVERY_WRITES
    # Reads do not count as writes.
    for _ in range(CHECKPOINT_EVERY_WRITES * 2):
        await _count(engine)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO item (name) VALUES ('after')"))
    await gate.checkpointed()
    assert _rows_in_database_file(path) == CHECKPOINT_EVERY_WRITES


async def test_a_failed_checkpoint_is_logged_and_writes_go_on(
    engine: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", json_output=False)
    # The open connections keep their file; a checkpoint opens the path, which is now a folder.
    path = tmp_path / "gate.db"
    path.rename(tmp_path / "elsewhere.db")
    path.mkdir()
    for i in range(CHECKPOINT_EVERY_WRITES):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO item (name) VALUES (:n)"), {"n": f"row {i}"})
    await (await _gate_of(engine)).checkpointed()
    assert await _count(engine) == CHECKPOINT_EVERY_WRITES
    logged = capsys.readouterr().err
    assert "sqlite checkpoint failed" in logged
    assert "OperationalError" in logged

"""SQLite connections for the async engine: one thread hop per statement, writers queued in-process.

SQLAlchemy drives aiosqlite with four hops to its connection thread per statement (cursor,
execute, fetchall, close), each a queue put, a thread switch and a loop wake-up; under load that is
most of a chat turn's database time. Here a statement's cursor is created, executed, drained and
closed in one hop, and the rows are handed back buffered.

SQLite allows one writer at a time. Two connections of this process that both want to write used
to meet inside SQLite's busy handler, which polls with sleeps of up to 100 ms: the second writer
slept long after the first had committed. Writers now queue on an asyncio lock instead, taken
before a connection's first writing statement and released when its transaction ends, so the next
writer starts the moment the previous one commits. Other processes on the same file still meet in
SQLite's busy handler, as before. A connection waits for the lock no longer than SQLite's own busy
timeout and then fails the way SQLite does ("database is locked").
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url

# Statements that never take SQLite's write lock; anything else (DML, DDL, BEGIN, SAVEPOINT, CTEs)
# is treated as a write, which is only ever too careful.
_READ_ONLY = re.compile(r"\s*(SELECT|PRAGMA|EXPLAIN)\b", re.IGNORECASE)


class WriteGate:
    """One in-process write lock per database file, per event loop (asyncio locks bind to one)."""

    def __init__(self, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock


@dataclass
class _Outcome:
    description: Any = None
    rows: list[Any] | None = None
    rowcount: int = -1
    lastrowid: int | None = None
    in_transaction: bool = False
    error: BaseException | None = None


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """Runs on the connection's thread: the whole life of one cursor."""
    outcome = _Outcome()
    try:
        cursor = connection.cursor()
        try:
            if many:
                cursor.executemany(sql, parameters)
            elif parameters is None:
                cursor.execute(sql)
            else:
                cursor.execute(sql, parameters)
            outcome.description = cursor.description
            outcome.rows = cursor.fetchall() if cursor.description else []
            outcome.rowcount = cursor.rowcount
            outcome.lastrowid = cursor.lastrowid
        finally:
            cursor.close()
    except Exception as error:
        outcome.error = error
    outcome.in_transaction = connection.in_transaction
    return outcome


class BufferedCursor:
    """The part of aiosqlite's cursor that SQLAlchemy's adapter uses, over buffered rows."""

    def __init__(self, connection: GatedConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> BufferedCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> BufferedCursor:
        return await self._run(sql, parameters, many=False)

    async def executemany(self, sql: str, parameters: Any) -> BufferedCursor:
        return await self._run(sql, parameters, many=True)

    async def _run(self, sql: str, parameters: Any, *, many: bool) -> BufferedCursor:
        outcome = await self._connection.run(sql, parameters, many)
        self.description = outcome.description
        self._rows = outcome.rows or []
        self.rowcount = outcome.rowcount
        self.lastrowid = outcome.lastrowid
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = self.arraysize if size is None else size
        taken, self._rows = self._rows[:size], self._rows[size:]
        return taken

    async def fetchall(self) -> list[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []

    def __aiter__(self) -> BufferedCursor:
        return self

    async def __anext__(self) -> Any:
        if not self._rows:
            raise StopAsyncIteration
        return self._rows.pop(0)


class GatedConnection(aiosqlite.Connection):
    """aiosqlite's connection (its thread, queue and lifecycle), with buffered cursors and the gate."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], gate: WriteGate) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._gate = gate
        self._holding: asyncio.Lock | None = None

    def cursor(self) -> BufferedCursor:  # type: ignore[override]
        return BufferedCursor(self)

    async def run(self, sql: str, parameters: Any, many: bool) -> _Outcome:
        if self._holding is None and not _READ_ONLY.match(sql):
            await self._acquire()
        # If this await is cancelled the statement may still run; the lock is then released by the
        # rollback or close that ends every abandoned transaction.
        execute: Callable[..., Awaitable[_Outcome]] = self._execute
        outcome = await execute(_run, self._conn, sql, parameters, many)
        if not outcome.in_transaction:
            self._release()
        if outcome.error is not None:
            raise outcome.error
        return outcome

    async def commit(self) -> None:
        await self._ending(super().commit())

    async def rollback(self) -> None:
        await self._ending(super().rollback())

    async def close(self) -> None:
        await self._ending(super().close())

    def stop(self) -> asyncio.Future[Any] | None:
        self._release()
        return super().stop()

    async def _ending(self, call: Awaitable[None]) -> None:
        try:
            await call
        finally:
            self._release()

    async def _acquire(self) -> None:
        lock = self._gate.lock()
        try:
            async with asyncio.timeout(self._gate.wait_seconds):
                await lock.acquire()
                # No await in between: a cancellation cannot separate taking the lock from owning it.
                self._holding = lock
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None

    def _release(self) -> None:
        lock, self._holding = self._holding, None
        if lock is not None:
            lock.release()


def gated_connector(url: str, connect_args: dict[str, Any]) -> Callable[[], Awaitable[GatedConnection]]:
    """An ``async_creator`` for create_async_engine: the arguments SQLAlchemy itself would use."""
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    kwargs = {**kwargs, **connect_args}
    gate = WriteGate(float(kwargs.get("timeout", 5.0)))
    database: Sequence[Any] = args

    async def connect() -> GatedConnection:
        def connector() -> sqlite3.Connection:
            connection: sqlite3.Connection = sqlite3.connect(*database, **kwargs)
            return connection

        connection = GatedConnection(connector, gate)
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
        await connection  # starts its thread and opens the database
        return connection

    return connect

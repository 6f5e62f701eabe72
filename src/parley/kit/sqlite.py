"""SQLite connections for the async engine: statements run on the event loop, writers queued.

A statement on a local SQLite file takes microseconds to a few milliseconds. Handing each one to a
connection thread (aiosqlite's model) cost far more than the statement itself: a queue put, a
thread switch, a loop wake-up, and a wait for the GIL while the loop thread is busy with other
requests. Under load that was most of a chat turn's database time and much of its tail latency.
So statements run inline on the loop thread, and the rows are handed back buffered.

What could block the loop is a long statement or a lock held by someone else. A read that runs
past a small budget is interrupted and run again on a worker thread; DELETEs (which cascade) and
batches go to a worker thread from the start. Inside this process, writers queue on
an asyncio lock, taken before a connection's first writing statement and released when its
transaction ends, so the next writer starts the moment the previous one commits. Other processes
on the same file (the CLI, other workers) still take SQLite's write lock: SQLite's own busy handler
would sleep on the loop thread, so it is switched off (busy timeout 0) and a statement that finds
the database busy is retried after an asyncio sleep instead, for as long as the busy timeout
allows; then it fails the way SQLite does ("database is locked"). A connection waits for the
in-process lock no longer than that either.

Checkpoints (copying the write-ahead log back into the database file, with its fsyncs) would run
in whichever connection commits when the log reaches SQLite's threshold: on the loop thread, for
milliseconds, every few hundred writes. So the gate runs them on a worker thread instead, on a
connection of its own, every ``CHECKPOINT_EVERY_WRITES`` write commits of this process; SQLite's
automatic checkpoint stays on as a backstop at a much larger log (writes from other processes, a
worker thread that falls behind).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url

from parley.kit.logging import get_logger

# Statements that never take SQLite's write lock; anything else (DML, DDL, BEGIN, SAVEPOINT, CTEs)
# is treated as a write, which is only ever too careful.
_READ_ONLY = re.compile(r"\s*(SELECT|PRAGMA|EXPLAIN)\b", re.IGNORECASE)

# Statements that may touch many rows (a DELETE cascades; executemany is a batch) run on a worker
# thread from the start: they are rare, never on a request's hot path, and could hold the loop.
_OFF_LOOP = re.compile(r"\s*DELETE\b", re.IGNORECASE)
# A statement that says it is heavy (a listing over many rows: ``off_loop()`` in kit/db.py) goes
# to a worker thread at once instead of spending its inline budget first.
OFF_LOOP_HINT = "/* parley:off-loop */"
# A read still running after this long on the loop thread is interrupted and run again on a worker
# thread (interrupting a SELECT leaves the transaction as it was; interrupting a write would not).
INLINE_READ_BUDGET_SECONDS = 0.02
_PROGRESS_EVERY_INSTRUCTIONS = 5000

# Retrying cannot help a transaction whose snapshot is stale; it must fail at once.
_SQLITE_BUSY_SNAPSHOT = 517
_FIRST_RETRY_SECONDS = 0.001
_LONGEST_RETRY_SECONDS = 0.05

# A PASSIVE checkpoint on a worker thread after this many write commits in this process (a turn
# writes a few pages: the log stays around a megabyte between checkpoints).
CHECKPOINT_EVERY_WRITES = 100
# SQLite's own checkpoint, in the committing connection, only once the log holds this many pages.
BACKSTOP_AUTOCHECKPOINT_PAGES = 10_000

_T = TypeVar("_T")
_log = get_logger("parley.sqlite")


class WriteGate:
    """One in-process write lock per database file, per event loop (asyncio locks bind to one),
    and the checkpoints of that file's write-ahead log, off the loop thread."""

    def __init__(self, wait_seconds: float, checkpoint: Callable[[], None]) -> None:
        self.wait_seconds = wait_seconds
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._checkpoint = checkpoint
        self._writes_since_checkpoint = 0
        self._checkpointing: asyncio.Future[None] | None = None

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def wrote(self) -> None:
        """A write transaction committed: every so many, checkpoint the log on a worker thread."""
        self._writes_since_checkpoint += 1
        if self._writes_since_checkpoint < CHECKPOINT_EVERY_WRITES or (
            self._checkpointing is not None and not self._checkpointing.done()
        ):
            return
        self._writes_since_checkpoint = 0
        self._checkpointing = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        self._checkpointing.add_done_callback(_log_checkpoint_failure)

    async def checkpointed(self) -> None:
        """Waits for the checkpoint in flight, if any; its failure is only logged."""
        if self._checkpointing is not None:
            with contextlib.suppress(Exception):
                await self._checkpointing


def _log_checkpoint_failure(done: asyncio.Future[None]) -> None:
    # A checkpoint that fails (the disk, another process's exclusive lock) is not lost work: the
    # next one, or SQLite's backstop, copies the same pages.
    if not done.cancelled() and done.exception() is not None:
        _log.warning("sqlite checkpoint failed", error=type(done.exception()).__name__)


def _passive_checkpoint(connection: sqlite3.Connection) -> None:
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        connection.close()


@dataclass
class Outcome:
    description: Any = None
    rows: list[Any] | None = None
    rowcount: int = -1
    lastrowid: int | None = None


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> Outcome:
    """The whole life of one cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        return Outcome(
            description=cursor.description,
            rows=cursor.fetchall() if cursor.description else [],
            rowcount=cursor.rowcount,
            lastrowid=cursor.lastrowid,
        )
    finally:
        cursor.close()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code: int | None = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return False
    return code & 0xFF == sqlite3.SQLITE_BUSY and code != _SQLITE_BUSY_SNAPSHOT


class _OverBudget(Exception):
    pass


class BufferedCursor:
    """The part of an async DB-API cursor that SQLAlchemy's adapter uses, over buffered rows."""

    def __init__(self, connection: InlineConnection) -> None:
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


class _InlineQueue:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set the isolation level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineConnection:
    """What SQLAlchemy's aiosqlite adapter needs of a connection, run on the loop thread."""

    def __init__(self, connection: sqlite3.Connection, gate: WriteGate) -> None:
        self._conn: sqlite3.Connection | None = connection
        self._gate = gate
        self._holding: asyncio.Lock | None = None
        self._tx = _InlineQueue()
        self._read_deadline: float | None = None

    @property
    def _connection(self) -> sqlite3.Connection | None:
        # SQLAlchemy skips commit/rollback on a connection that is already closed by looking here.
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    def cursor(self) -> BufferedCursor:
        return BufferedCursor(self)

    async def run(self, sql: str, parameters: Any, many: bool) -> Outcome:
        connection = self._open()
        read_only = _READ_ONLY.match(sql) is not None
        if self._holding is None and not read_only:
            await self._acquire()

        def statement() -> Outcome:
            return _run(connection, sql, parameters, many)

        try:
            if many or _OFF_LOOP.match(sql) or OFF_LOOP_HINT in sql:
                return await self._patiently(statement, off_loop=True)
            if read_only:
                try:
                    return await self._patiently(lambda: self._within_budget(statement))
                except _OverBudget:
                    return await self._patiently(statement, off_loop=True)
            return await self._patiently(statement)
        finally:
            if not connection.in_transaction:
                self._release()

    def _within_budget(self, statement: Callable[[], Outcome]) -> Outcome:
        connection = self._open()
        self._read_deadline = time.perf_counter() + INLINE_READ_BUDGET_SECONDS
        # Only for this statement: the handler takes the GIL each time it runs, which a statement
        # on a worker thread must not pay.
        connection.set_progress_handler(self._over_budget, _PROGRESS_EVERY_INSTRUCTIONS)
        try:
            return statement()
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT:
                raise _OverBudget from None
            raise
        finally:
            connection.set_progress_handler(None, 0)
            self._read_deadline = None

    def _over_budget(self) -> int:
        """SQLite's progress handler: a non-zero answer interrupts the running statement."""
        deadline = self._read_deadline
        return 1 if deadline is not None and time.perf_counter() > deadline else 0

    async def commit(self) -> None:
        connection = self._open()
        wrote = self._holding is not None
        try:
            await self._patiently(connection.commit)
        finally:
            if not connection.in_transaction:
                self._release()
        if wrote:
            self._gate.wrote()

    async def rollback(self) -> None:
        try:
            self._open().rollback()
        finally:
            self._release()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        """Closes at once; what was not committed is rolled back by SQLite."""
        self._release()
        connection, self._conn = self._conn, None
        if connection is not None:
            connection.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._open().create_function(*args, **kwargs)

    async def _patiently(self, call: Callable[[], _T], *, off_loop: bool = False) -> _T:
        """Runs call, retrying with asyncio sleeps while another process holds the database."""
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        pause = _FIRST_RETRY_SECONDS
        while True:
            try:
                return await self._off_loop(call) if off_loop else call()
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                now = loop.time()
                if deadline is None:
                    deadline = now + self._gate.wait_seconds
                if now >= deadline:
                    raise
                await asyncio.sleep(min(pause, deadline - now))
                pause = min(pause * 2, _LONGEST_RETRY_SECONDS)

    async def _off_loop(self, call: Callable[[], _T]) -> _T:
        """Runs call on a worker thread; the connection is never used by two threads at once."""
        worker = asyncio.ensure_future(asyncio.to_thread(call))
        try:
            return await asyncio.shield(worker)
        except asyncio.CancelledError:
            # The caller gives up (a request timeout): stop the statement and wait for the thread
            # to let go of the connection before anyone rolls it back or closes it.
            if self._conn is not None:
                self._conn.interrupt()
            with contextlib.suppress(Exception):
                await worker
            raise

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


def gated_connector(url: str, connect_args: dict[str, Any]) -> Callable[[], Awaitable[InlineConnection]]:
    """An ``async_creator`` for create_async_engine: the arguments SQLAlchemy itself would use.

    ``timeout`` (seconds) bounds how long a statement waits for the database, in-process or not.
    """
    args, kwargs = SQLiteDialect_aiosqlite().create_connect_args(make_url(url))
    kwargs = {**kwargs, **connect_args}
    wait_seconds = float(kwargs.pop("timeout", 5.0))
    # The connection is used from one task at a time, but SQLAlchemy may close a connection it
    # garbage-collects from another thread.
    kwargs["check_same_thread"] = False
    # Busy timeout 0: SQLite's busy handler would sleep on the loop thread (see _patiently).
    kwargs["timeout"] = 0
    database: Sequence[Any] = args
    open_database: Callable[..., sqlite3.Connection] = sqlite3.connect

    def checkpoint() -> None:
        _passive_checkpoint(open_database(*database, **kwargs))

    gate = WriteGate(wait_seconds, checkpoint)

    async def connect() -> InlineConnection:
        connection = open_database(*database, **kwargs)
        connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_AUTOCHECKPOINT_PAGES}")
        return InlineConnection(connection, gate)

    return connect

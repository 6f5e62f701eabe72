"""Statements that run on every request, without SQLAlchemy's per-execution work on SQLite.

Executing a Core statement costs about 100 us of Python in SQLAlchemy (cache key, execution
context, result wrapping, greenlet switches) where the statement itself, on a local SQLite file,
takes about 10 us. The few statements on every chat turn (the API key, the agent, the
conversation, its turn) are therefore compiled once per dialect here and handed to parley's
SQLite connection (kit/sqlite.py) directly, inside the session's transaction: the same SQL, the
same columns' own bind and result processors, the same write gate and busy handling. On any other
database (or SQLite through another driver) they run through the session as usual, so callers
see one behaviour: rows as dicts keyed by the selected columns' keys, and rowcounts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Select
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

from parley.kit.sqlite import InlineConnection, Outcome

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Slot:
    """One positional parameter: the caller's value, or the value fixed in the statement."""

    key: str
    required: bool
    constant: Any
    process: Processor | None


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    slots: tuple[_Slot, ...]
    columns: tuple[str, ...]
    results: tuple[Processor | None, ...]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for slot in self.slots:
            value = values[slot.key] if slot.required else values.get(slot.key, slot.constant)
            out.append(value if slot.process is None else slot.process(value))
        return tuple(out)

    def row(self, raw: tuple[Any, ...]) -> dict[str, Any]:
        return {
            name: value if process is None else process(value)
            for name, value, process in zip(self.columns, raw, self.results, strict=True)
        }


def _plan(statement: Executable, dialect: Dialect, column_keys: list[str] | None) -> _Plan:
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)  # type: ignore[attr-defined]
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
        raise ValueError(
            f"only SQL statements on positional-parameter drivers are prepared, not {statement!r}"
        )
    slots = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if bind.expanding or bind.callable is not None:
            raise ValueError("expanding (IN) and callable parameters are not prepared")
        slots.append(
            _Slot(
                key=str(bind.key),
                required=bool(bind.required),
                constant=bind.value,
                process=bind.type.dialect_impl(dialect).bind_processor(dialect),
            )
        )
    columns: tuple[str, ...] = ()
    results: tuple[Processor | None, ...] = ()
    if isinstance(statement, Select):
        selected = list(statement.selected_columns)
        columns = tuple(str(column.key) for column in selected)
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
        )
    return _Plan(compiled.string, tuple(slots), columns, results)


class Prepared:
    """A Core statement, compiled once per dialect, run in a session's transaction.

    ``Insert`` statements without explicit values are compiled for every column of their table,
    so the caller passes a value for each.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._column_keys: list[str] | None = None
        if isinstance(statement, Insert):
            self._column_keys = [str(column.key) for column in statement.table.columns]  # type: ignore[attr-defined]
        self._plans: dict[str, _Plan] = {}

    async def rows(self, session: AsyncSession, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        dialect = session.get_bind().dialect
        inline = await _inline_connection(session, dialect)
        if inline is None:
            result = await session.execute(self.statement, dict(values))
            return [dict(row._mapping) for row in result]
        plan = self._plan_for(dialect)
        outcome = await self._run(inline, plan, values)
        return [plan.row(raw) for raw in outcome.rows or []]

    async def first(self, session: AsyncSession, values: Mapping[str, Any]) -> dict[str, Any] | None:
        found = await self.rows(session, values)
        return found[0] if found else None

    async def write(self, session: AsyncSession, values: Mapping[str, Any]) -> int:
        """Runs an INSERT, UPDATE or DELETE; returns how many rows it touched."""
        dialect = session.get_bind().dialect
        inline = await _inline_connection(session, dialect)
        if inline is None:
            result = await session.execute(self.statement, dict(values))
            return int(result.rowcount)  # type: ignore[attr-defined]
        plan = self._plan_for(dialect)
        return (await self._run(inline, plan, values)).rowcount

    @staticmethod
    async def _run(inline: InlineConnection, plan: _Plan, values: Mapping[str, Any]) -> Outcome:
        parameters = plan.parameters(values)
        try:
            return await inline.run(plan.sql, parameters, False)
        except sqlite3.Error as error:
            # The errors SQLAlchemy would raise (IntegrityError, OperationalError, ...), so callers
            # catch one set whichever path ran; parameters are kept out of the message and logs.
            raise DBAPIError.instance(
                plan.sql, parameters, error, sqlite3.Error, hide_parameters=True
            ) from error

    def _plan_for(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _plan(self.statement, dialect, self._column_keys)
        return plan


_INLINE = "parley.inline_connection"


async def _inline_connection(session: AsyncSession, dialect: Dialect) -> InlineConnection | None:
    """The session's SQLite connection when it is parley's own (kit/sqlite.py), else None.

    Taking the session's connection begins its transaction, so what runs on the driver is
    committed or rolled back with everything else the session did. The connection is remembered
    for as long as that transaction holds it: asking the session again costs two greenlet switches.
    """
    if dialect.name != "sqlite":
        return None
    held: tuple[Connection, InlineConnection | None] | None = session.info.get(_INLINE)
    if held is not None and not held[0].closed:
        return held[1]
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    inline = driver if isinstance(driver, InlineConnection) else None
    session.info[_INLINE] = (connection.sync_connection, inline)
    return inline

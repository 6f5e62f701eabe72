"""Engine, sessions and column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.selectable import HasPrefixes
from sqlalchemy.types import TypeDecorator

from parley.config import DatabaseSettings
from parley.kit.sqlite import OFF_LOOP_HINT, gated_connector

StatementT = TypeVar("StatementT", bound=HasPrefixes)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Always timezone-aware UTC in Python; SQLite hands back naive values otherwise."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def off_loop(statement: StatementT) -> StatementT:
    """Marks a query that may read many rows: on SQLite it runs on a worker thread, not the loop."""
    return statement.prefix_with(OFF_LOOP_HINT, dialect="sqlite")


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # No busy_timeout here: file databases wait for other processes in kit/sqlite.py, off the
    # loop thread's clock; in-memory ones have no other process to wait for.
    cursor.close()


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    # Statement parameters stay out of error messages, which reach logs: they can be secrets.
    kwargs: dict[str, Any] = {"echo": settings.echo, "hide_parameters": True}
    if settings.is_sqlite:
        if ":memory:" in settings.url or settings.url.endswith("://"):
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["async_creator"] = gated_connector(settings.url, {"timeout": 30})
    else:
        kwargs["pool_size"] = settings.pool_size
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(settings.url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncSession:
    """One session per request. The route class commits it before the response is sent and
    closes it whatever happens (commit_request_session, close_request_session).

    Not a yield dependency: FastAPI enters and leaves those through an exit stack and a cancel
    scope of their own, a cost every request paid for nothing the route class cannot do.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    session = sessionmaker()
    request.state.db_session = session
    return session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def _request_session(request: Request) -> AsyncSession | None:
    session: AsyncSession | None = getattr(request.state, "db_session", None)
    return session


async def commit_request_session(request: Request) -> None:
    """Commits the request's session, if the request took one."""
    session = _request_session(request)
    if session is not None:
        await session.commit()


async def close_request_session(request: Request) -> None:
    """Closes the request's session, if it took one: rolls back what an error left uncommitted
    and gives the connection back."""
    session = _request_session(request)
    if session is None:
        return
    if session.in_transaction():
        # The rollback talks to the database: finished even if the request is being cancelled
        # (AsyncSession's own exit shields its close).
        await session.__aexit__(None, None, None)
    else:
        await session.close()

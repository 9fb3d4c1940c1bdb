"""Database engine, sessions and the declarative base."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use handoff.core.db.utcnow()")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str, *, echo: bool = False, pool_size: int = 20) -> AsyncEngine:
    """An async engine with settings that suit the backend.

    ``pool_size`` connections stay open per process; 10 more may open for a burst. Connections above the pool
    are closed when handed back, so a pool too small for the usual load reconnects over and over.
    """
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, hide_parameters=True)
        _tune_sqlite(engine.sync_engine)
        return engine
    # Errors never quote bound values (they can hold personal data) in logs.
    # LIFO: the connection used last is used next, so under load a few connections stay busy (and need no ping).
    engine = create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=10, pool_timeout=15, pool_recycle=1800, pool_use_lifo=True,
        hide_parameters=True,
    )
    _ping_on_checkout(engine.sync_engine)
    return engine


PING_AFTER_IDLE = 1.0  # seconds: a connection handed back more recently than this answered just now


def _ping_on_checkout(engine: Engine) -> None:
    """Pre-ping: after a database restart, dead pooled connections are replaced instead of failing a request.

    In one round trip, and only for a connection that has been idle. SQLAlchemy's own pre-ping for asyncpg wraps its
    ping in BEGIN and ROLLBACK (for PgBouncer's transaction pooling, which this service does not support): three
    round trips on every checkout, several times per message.
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("returned_at", float("-inf")) < PING_AFTER_IDLE:
            return
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(";")
            finally:
                cursor.close()
        except Exception as exc:  # the pool drops this connection and checks out a new one
            raise DisconnectionError("the pooled database connection did not answer") from exc
        finally:
            dbapi_connection.autocommit = autocommit


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)

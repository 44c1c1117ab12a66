"""Engines for PostgreSQL (psycopg 3) and SQLite (aiosqlite), with what each needs to be safe."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

#: Execution option that marks a connection's next transaction as a writer.
WRITE_OPTION = "folio_write"

#: What a request cannot be answered without and may succeed on a retry: the server is down, restarting,
#: out of connections, or this pool had none free within its timeout. The HTTP edge answers 503.
UNAVAILABLE: tuple[type[Exception], ...] = (
    exc.OperationalError,  # connection refused or lost, too many clients, shutting down, deadlock, lock timeout
    exc.InterfaceError,  # a connection closed under a statement
    exc.TimeoutError,  # no pooled connection free within pool_timeout
    psycopg.OperationalError,  # statements run on the driver's own connection (COPY)
)


@dataclass(frozen=True, slots=True)
class PoolOptions:
    """One pool: at most `size` connections (no overflow), `timeout` seconds to wait for a free one."""

    size: int = 5
    timeout: float = 5.0
    connect_timeout: int = 3
    #: Behind a transaction-pooling PgBouncer (no startup options, no prepared statements).
    pgbouncer: bool = False

    def engine_arguments(self, **connect_args: Any) -> dict[str, Any]:
        """create_async_engine's arguments for PostgreSQL (psycopg 3)."""
        connect_args["connect_timeout"] = self.connect_timeout
        if self.pgbouncer:
            connect_args["prepare_threshold"] = None  # a prepared statement lives in one server session
        return {
            "pool_size": self.size,
            "max_overflow": 0,
            "pool_timeout": self.timeout,
            # A connection found broken (server restarted) invalidates every older one of the pool,
            # so the next checkouts connect afresh instead of each failing in turn.
            "pool_pre_ping": False,
            "pool_recycle": 3600,
            "connect_args": connect_args,
        }


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool: PoolOptions | None = None, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        return _sqlite_engine(url, echo=echo)
    options = pool or PoolOptions(size=pool_size)
    return create_async_engine(url, echo=echo, **options.engine_arguments())


def _sqlite_engine(url: str, *, echo: bool) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so writers can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # SQLite ignores FOR UPDATE: a writer takes the database's write lock when it begins.
        writer = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


async def ping(engine: AsyncEngine) -> None:
    """Raises unless the database answers a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))

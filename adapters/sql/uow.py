from __future__ import annotations

from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.activity import SqlActivityRepository, SqlReviewHistory
from adapters.sql.catalog import SqlBookRepository
from adapters.sql.commerce import SqlCartRepository, SqlOrderRepository, SqlPreBookingRepository
from adapters.sql.engine import WRITE_OPTION, is_sqlite
from adapters.sql.genres import SqlGenreRepository
from adapters.sql.identities import SqlLinkedIdentityRepository
from adapters.sql.imports import SqlImportFiles, SqliteBookImport
from adapters.sql.imports_postgres import PostgresBookImport
from adapters.sql.journal import SqlGoalRepository, SqlJournalQueries
from adapters.sql.outbox import SqlOutbox
from adapters.sql.reviews import SqlReviewRepository
from adapters.sql.shelf import SqlPurchaseHistory, SqlShelfRepository
from adapters.sql.users import SqlUserRepository
from adapters.sql.write_lock import WriteLock
from application.ports.uow import EventHandlers, Subscribers
from application.uow import UnitOfWorkBase


class SqlUnitOfWork(UnitOfWorkBase):
    """One transaction on one pooled connection. Writers on SQLite are serialised."""

    users: SqlUserRepository
    identities: SqlLinkedIdentityRepository
    books: SqlBookRepository
    outbox: SqlOutbox
    shelf: SqlShelfRepository
    reviews: SqlReviewRepository
    purchases: SqlPurchaseHistory
    goals: SqlGoalRepository
    journal: SqlJournalQueries
    carts: SqlCartRepository
    orders: SqlOrderRepository
    prebookings: SqlPreBookingRepository
    import_files: SqlImportFiles
    book_import: PostgresBookImport | SqliteBookImport
    genres: SqlGenreRepository
    activity: SqlActivityRepository
    review_history: SqlReviewHistory

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        read_only: bool,
        write_lock: WriteLock | None,
        handlers: EventHandlers,
        subscribers: Subscribers,
    ) -> None:
        super().__init__(handlers=handlers, subscribers=subscribers)
        self._engine = engine
        self._read_only = read_only
        self._lock = None if read_only else write_lock
        self._conn: AsyncConnection | None = None

    @property
    def connection(self) -> AsyncConnection:
        assert self._conn is not None, "unit of work not entered"
        return self._conn

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    async def __aenter__(self) -> Self:
        if self._lock is not None:
            await self._lock.acquire()
        try:
            conn = await self._engine.connect()
            if not self._read_only and self._lock is not None:
                conn = await conn.execution_options(**{WRITE_OPTION: True})
            elif self._read_only and conn.dialect.name == "postgresql":
                # No BEGIN and ROLLBACK around the reads: under READ COMMITTED each statement takes its
                # own snapshot inside a transaction too, so a read-only unit of work sees the same rows
                # in autocommit, two round trips cheaper (a login's user lookup: 1 statement, not 3).
                # psycopg switches the mode locally; the pool resets it when the connection returns.
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.begin()
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise
        self._conn = conn
        self.users = SqlUserRepository(conn, self)
        self.identities = SqlLinkedIdentityRepository(conn)
        self.books = SqlBookRepository(conn, self)
        self.outbox = SqlOutbox(conn)
        self.shelf = SqlShelfRepository(conn, self)
        self.reviews = SqlReviewRepository(conn)
        self.purchases = SqlPurchaseHistory(conn)
        self.goals = SqlGoalRepository(conn)
        self.journal = SqlJournalQueries(conn)
        # commerce
        self.carts = SqlCartRepository(conn)
        self.orders = SqlOrderRepository(conn)
        self.prebookings = SqlPreBookingRepository(conn)
        self.import_files = SqlImportFiles(conn)
        self.book_import = PostgresBookImport(conn) if conn.dialect.name == "postgresql" else SqliteBookImport(conn)
        self.genres = SqlGenreRepository(conn)
        self.activity = SqlActivityRepository(conn)
        self.review_history = SqlReviewHistory(conn)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self._conn is not None:
                try:
                    if self._conn.in_transaction():
                        await self._conn.rollback()
                finally:
                    await self._conn.close()
                    self._conn = None
        finally:
            if self._lock is not None:
                self._lock.release()
        try:
            await self._after_commit()
        finally:
            self._reset()

    async def dispatch(self) -> None:
        await self._dispatch(self)

    async def commit(self) -> None:
        await self.dispatch()
        await self.connection.commit()
        self._committed = True


class SqlUowFactory:
    """Builds SQL units of work on one engine."""

    def __init__(self, engine: AsyncEngine, *, handlers: EventHandlers, subscribers: Subscribers | None = None) -> None:
        self.engine = engine
        self._handlers = handlers
        self.subscribers: Subscribers = subscribers or {}
        self._write_lock = WriteLock() if is_sqlite(str(engine.url)) else None

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine,
            read_only=read_only,
            write_lock=self._write_lock,
            handlers=self._handlers,
            subscribers=self.subscribers,
        )

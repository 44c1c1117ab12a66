from __future__ import annotations

import functools
from importlib import import_module
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.engine import WRITE_OPTION, is_sqlite
from adapters.sql.write_lock import WriteLock
from application.ports.uow import EventHandlers, Subscribers
from application.uow import UnitOfWorkBase

if TYPE_CHECKING:
    from adapters.sql.activity import SqlActivityRepository, SqlReviewHistory
    from adapters.sql.catalog import SqlBookRepository
    from adapters.sql.commerce import SqlCartRepository, SqlOrderRepository, SqlPreBookingRepository
    from adapters.sql.genres import SqlGenreRepository
    from adapters.sql.identities import SqlLinkedIdentityRepository
    from adapters.sql.imports import SqlImportFiles, SqliteBookImport
    from adapters.sql.imports_postgres import PostgresBookImport
    from adapters.sql.journal import SqlGoalRepository, SqlJournalQueries
    from adapters.sql.outbox import SqlOutbox
    from adapters.sql.reviews import SqlReviewRepository
    from adapters.sql.shelf import SqlPurchaseHistory, SqlShelfRepository
    from adapters.sql.users import SqlUserRepository

#: Each repository of a unit of work: its module, its class, and whether it is given the unit of work
#: too (to track the aggregates it loads). A repository is built, and its module imported, the first
#: time a unit of work uses it: a process that never touches a table (the command line's import uses
#: three) never imports its queries.
_REPOSITORIES: dict[str, tuple[str, str, bool]] = {
    "users": ("adapters.sql.users", "SqlUserRepository", True),
    "identities": ("adapters.sql.identities", "SqlLinkedIdentityRepository", False),
    "books": ("adapters.sql.catalog", "SqlBookRepository", True),
    "outbox": ("adapters.sql.outbox", "SqlOutbox", False),
    "shelf": ("adapters.sql.shelf", "SqlShelfRepository", True),
    "reviews": ("adapters.sql.reviews", "SqlReviewRepository", False),
    "purchases": ("adapters.sql.shelf", "SqlPurchaseHistory", False),
    "goals": ("adapters.sql.journal", "SqlGoalRepository", False),
    "journal": ("adapters.sql.journal", "SqlJournalQueries", False),
    "carts": ("adapters.sql.commerce", "SqlCartRepository", False),
    "orders": ("adapters.sql.commerce", "SqlOrderRepository", False),
    "prebookings": ("adapters.sql.commerce", "SqlPreBookingRepository", False),
    "import_files": ("adapters.sql.imports", "SqlImportFiles", False),
    "genres": ("adapters.sql.genres", "SqlGenreRepository", False),
    "activity": ("adapters.sql.activity", "SqlActivityRepository", False),
    "review_history": ("adapters.sql.activity", "SqlReviewHistory", False),
}
_BOOK_IMPORT = {
    "postgresql": ("adapters.sql.imports_postgres", "PostgresBookImport", False),
    "sqlite": ("adapters.sql.imports", "SqliteBookImport", False),
}


@functools.cache
def _repository_class(module: str, name: str) -> type:
    return getattr(import_module(module), name)


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
        for name in (*_REPOSITORIES, "book_import"):  # those of an earlier transaction, if any
            self.__dict__.pop(name, None)
        return self

    if not TYPE_CHECKING:  # the type checker reads the repositories' annotations above

        def __getattr__(self, name: str) -> Any:
            """Builds a repository on the connection at its first use in this transaction."""
            conn = self.__dict__.get("_conn")
            if name == "book_import" and conn is not None:
                spec = _BOOK_IMPORT["postgresql" if conn.dialect.name == "postgresql" else "sqlite"]
            else:
                spec = _REPOSITORIES.get(name)
            if spec is None or conn is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            module, cls, tracks = spec
            built = _repository_class(module, cls)
            repository = built(conn, self) if tracks else built(conn)
            setattr(self, name, repository)
            return repository

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

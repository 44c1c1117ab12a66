"""PostgreSQL text search: the generated, weighted `search_vector` (GIN), `websearch_to_tsquery` or'ed
with a prefix query, `ts_rank` over a bounded candidate set, and pg_trgm for typos."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg.rows import RowFactory, dict_row
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    String,
    TableValuedAlias,
    Uuid,
    any_,
    bindparam,
    event,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.engine import Compiled
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from adapters.sql.catalog import book_maker
from adapters.sql.catalog_reads import FUZZY_CAP, SqlCatalogReads
from adapters.sql.engine import PoolOptions
from adapters.sql.tables import books
from application.catalog.text import FUZZY_THRESHOLD, words
from domain.catalog import Book

_VECTOR: ColumnElement[Any] = literal_column("books.search_vector")
#: The text search configuration as a constant of the statement (not a bound or literal_execute
#: parameter, which SQLAlchemy renders anew on every execution).
_ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig")
#: What the user typed (websearch syntax) or every word as a prefix (`harr pott`): `text_parameters`.
_TSQUERY: ColumnElement[Any] = func.websearch_to_tsquery(_ENGLISH, bindparam("q", type_=String)).op("||")(
    func.to_tsquery(_ENGLISH, bindparam("q_prefix", type_=String))
)


#: Planner settings of the read side: no sequential scans (with LIMIT on a text match the planner's
#: estimate tempts it into testing every row's vector, far dearer than the GIN index on a large catalog;
#: bench/catalog.py measures both) and no JIT (which would compile for those inflated costs on every query); UTC
#: times, as DateTimeUTC gives them, for the rows read past SQLAlchemy's result processing (`fetch`).
READ_SETTINGS = {"enable_seqscan": "off", "jit": "off", "TimeZone": "UTC"}


def read_engine(engine: AsyncEngine, *, pool_size: int | None = None, pool: PoolOptions | None = None) -> AsyncEngine:
    """A small pool of its own for the read side: autocommit (one round trip per statement, no
    BEGIN/ROLLBACK), with READ_SETTINGS as startup options.

    Behind a transaction-pooling PgBouncer a session is not ours to configure (startup options are
    refused, a SET would reach other clients): there each read is a transaction that sets them LOCAL."""
    options = pool or PoolOptions(size=pool_size or 5)
    if options.pgbouncer:
        read = create_async_engine(engine.url, **options.engine_arguments())

        @event.listens_for(read.sync_engine, "begin")
        def _local_settings(conn: Any) -> None:
            conn.exec_driver_sql(
                "SELECT " + ", ".join(f"set_config('{name}', '{value}', true)" for name, value in READ_SETTINGS.items())
            )

        return read
    startup = " ".join(f"-c {name}={value}" for name, value in READ_SETTINGS.items())
    arguments = options.engine_arguments(options=startup)
    # Autocommit: a returned connection is in no transaction, so there is nothing to roll back.
    return create_async_engine(engine.url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None, **arguments)


R = TypeVar("R")


#: A row factory per set of column names (the few `book_rows` statements), made once.
_MAKERS: dict[tuple[bytes | None, ...], Callable[[Sequence[Any]], Book]] = {}


def _book_rows(cursor: Any) -> Callable[[Sequence[Any]], Book]:
    """psycopg's row factory for `book_rows` statements: each row straight to a Book. Names from the
    result itself (`cursor.description` builds a Column object per column: dearer than the rows)."""
    result = cursor.pgresult
    names = tuple(result.fname(i) for i in range(result.nfields)) if result is not None else ()
    maker = _MAKERS.get(names)
    if maker is None:
        maker = _MAKERS[names] = book_maker([(name or b"").decode() for name in names])
    return maker


def _total(cursor: Any) -> int | None:
    """The `total` of the first row read, where the statement ends with that column (a page with its
    count, `Statements.listing`); None without rows or that column."""
    result = cursor.pgresult
    if result is None or result.ntuples == 0 or result.nfields == 0:
        return None
    last = result.nfields - 1
    if result.fname(last) != b"total":
        return None
    value = result.get_value(0, last)
    return None if value is None else int(value)


class PostgresCatalogReads(SqlCatalogReads):
    dialect = "postgresql"

    def __init__(self, engine: AsyncEngine, *, pool_size: int = 5, pool: PoolOptions | None = None) -> None:
        options = pool or PoolOptions(size=pool_size)
        super().__init__(read_engine(engine, pool=options))
        #: set_config's scope: the session (autocommit reads), or the transaction behind PgBouncer.
        self._local = options.pgbouncer
        self._compiled: dict[Select[Any], Compiled] = {}
        self._pool = self._engine.sync_engine.pool

    async def fetch(self, statement: Select[Any], params: dict[str, Any]) -> Sequence[Mapping[str, Any]]:
        """On our own autocommit sessions, the statement's SQL (compiled once) goes to psycopg as it is,
        its rows come back as dicts: no per-execution compile lookup, parameter or result processing.
        Every parameter is a plain value (uuid, str, int, Decimal, list) whose type the SQL casts, and
        times are UTC (READ_SETTINGS). Behind PgBouncer each read is SQLAlchemy's transaction."""
        if self._local:
            return await super().fetch(statement, params)
        rows, _ = await self._run(statement, params, dict_row)
        return rows

    async def fetch_books(self, statement: Select[Any], params: dict[str, Any]) -> tuple[list[Book], int | None]:
        """As `fetch`, with each row made a Book as psycopg reads it (no dict per row: a tenth of a list
        page's Python)."""
        if self._local:
            return await super().fetch_books(statement, params)
        return await self._run(statement, params, _book_rows)

    async def _run(
        self, statement: Select[Any], params: dict[str, Any], rows: RowFactory[R]
    ) -> tuple[list[R], int | None]:
        """The rows of `statement` (made by `rows`) and its first row's `total`, when it has that column."""
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = statement.compile(dialect=self._engine.dialect)
        # Straight from the pool, without an AsyncConnection around it (half the checkout's cost).
        pooled = await greenlet_spawn(self._pool.connect)
        try:
            driver = pooled.driver_connection
            assert driver is not None, "a checked-out connection is open"
            try:
                async with driver.cursor(row_factory=rows) as cursor:
                    await cursor.execute(compiled.string, compiled.construct_params(params))
                    return await cursor.fetchall(), _total(cursor)
            except psycopg.Error:
                if driver.broken:  # SQLAlchemy saw nothing: a lost session must not go back to the pool
                    await greenlet_spawn(pooled.invalidate)
                raise
        finally:
            await greenlet_spawn(pooled.close)  # back to the pool (closing it there, if it must, awaits)

    async def dispose(self) -> None:
        await self._engine.dispose()

    def tagged(self) -> ColumnElement[bool]:
        return books.c.tags.contains(array([bindparam("tag", type_=String)]))  # `tags @> ARRAY[:tag]`: GIN index

    def by_ids(self) -> ColumnElement[bool]:
        return books.c.id == any_(bindparam("ids", type_=ARRAY(Uuid())))  # one uuid[] parameter for any number

    def each_tag(self) -> TableValuedAlias:
        return func.unnest(books.c.tags).table_valued("value").render_derived()  # AS anon(value)

    def text_match(self) -> ColumnElement[bool]:
        return _VECTOR.op("@@")(_TSQUERY)

    def text_parameters(self, q: str) -> dict[str, Any]:
        return {"q": q, "q_prefix": " & ".join(f"{word}:*" for word in words(q))}

    def ranked(self, where: list[ColumnElement[bool]]) -> Select[Any]:
        rank = func.ts_rank(_VECTOR, _TSQUERY).label("rank")
        # LIMIT before ORDER BY: ts_rank runs on at most `cap` rows, however common the word.
        return select(books.c.id, rank).where(_VECTOR.op("@@")(_TSQUERY), *where).limit(bindparam("cap"))

    async def fuzzy(
        self, conn: AsyncConnection, q: str, where: list[ColumnElement[bool]], params: dict[str, Any]
    ) -> list[UUID]:
        typed = " ".join(words(q))
        if len(typed) < 3:
            return []
        # Session-level on our own autocommit session (every fuzzy query sets it, so it never leaks);
        # transaction-level behind PgBouncer, where the session is shared.
        await conn.execute(
            text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, :local)"),
            {"t": str(FUZZY_THRESHOLD), "local": self._local},
        )
        return list((await conn.execute(self.fuzzy_statement(typed, where), params)).scalars())

    def fuzzy_statement(self, typed: str, where: list[ColumnElement[bool]]) -> Select[Any]:
        """Books whose title or author holds a close match of `typed`: the two pg_trgm indexes."""
        title, author = books.c.title, books.c.author  # pg_trgm compares lower-cased: no lower() needed
        close = or_(literal(typed).op("<%")(title), literal(typed).op("<%")(author))
        score = func.greatest(func.word_similarity(typed, title), func.word_similarity(typed, author))
        return select(books.c.id).where(close, *where).order_by(score.desc(), books.c.id).limit(FUZZY_CAP)

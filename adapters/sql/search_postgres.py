"""PostgreSQL text search: the generated, weighted `search_vector` (GIN) matched by `websearch_to_tsquery`,
`ts_rank` over a bounded candidate set; when no word matches as typed, close matches: books whose words
begin with the typed ones (`harr pott`), else pg_trgm's near spellings.

Bounded work for any word (`candidates`): the GIN index collects every match of a word before the first
row is read (a word in most books costs milliseconds before any heap access), so a word found in many of
the newest books is not looked up in it: its candidates are the first matches walking the newest books,
found within a few pages of the catalog. Either way at most `cap` matching rows are read and ranked."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg.rows import RowFactory, dict_row
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    FromClause,
    Select,
    String,
    TableValuedAlias,
    Uuid,
    and_,
    any_,
    bindparam,
    event,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.engine import Compiled
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.util import greenlet_spawn

from adapters.sql.catalog import book_maker
from adapters.sql.catalog_reads import FUZZY_CAP, Shape, SqlCatalogReads
from adapters.sql.engine import PoolOptions
from adapters.sql.tables import books
from application.catalog.text import FUZZY_THRESHOLD, words
from domain.catalog import Book

_VECTOR: ColumnElement[Any] = literal_column("books.search_vector")
#: The text search configuration as a constant of the statement (not a bound or literal_execute
#: parameter, which SQLAlchemy renders anew on every execution).
_ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig")
#: What the user typed (websearch syntax): `text_parameters`. A scalar subquery, so that it is parsed
#: once per statement (an InitPlan) even in a generic plan, where a filter would parse it for every row.
_TSQUERY: ColumnElement[Any] = select(
    func.websearch_to_tsquery(_ENGLISH, bindparam("q", type_=String))
).scalar_subquery()
#: Every typed word as a prefix (`harr pott`), for close matches when no word matched as typed.
_PREFIXES: ColumnElement[Any] = select(func.to_tsquery(_ENGLISH, bindparam("q_prefix", type_=String))).scalar_subquery()
#: How many of the newest visible books `candidates` tests the words on, and how many of them must
#: match for the words to count as common (a quarter): then the first `cap` matches are at most about
#: 4 * cap rows away along ix_books_created_at, while a word rarer than that among the newest books has
#: a posting list short enough for the GIN index.
PROBE_BOOKS = 64
PROBE_COMMON = 16
#: Past this many candidates (a deep relevance page, `offset` + `limit`), the GIN index even for a common
#: word: reading the matches in table order costs fewer pages than walking four times as many books.
WALK_CAP = 1000


#: Planner settings of the read side: no sequential scans (with LIMIT on a text match the planner's
#: estimate tempts it into testing every row's vector, far dearer than the GIN index on a large catalog;
#: bench/catalog.py measures both), no JIT (which would compile for those inflated costs on every query)
#: and no parallel workers (a generic plan of a bounded walk, `LIMIT $n` unknown, was planned as a Gather
#: Merge of two workers: about 15 ms to start them for a page that one backend reads in under 1 ms); UTC
#: times, as DateTimeUTC gives them, for the rows read past SQLAlchemy's result processing (`fetch`).
READ_SETTINGS = {"enable_seqscan": "off", "jit": "off", "max_parallel_workers_per_gather": "0", "TimeZone": "UTC"}


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
        self._size, self._timeout = options.size, options.timeout
        #: One first-come-first-served gate per event loop in front of the pool (see `_turn`).
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

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
        async with self._turn():
            return await self._on_pooled(compiled, params, rows)

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """Waits for a free connection in arrival order. The pool's own wait lets a newcomer take a
        connection returned while an earlier request was still being woken, so with more requests in
        flight than connections some waited many turns: at 32 connections and a read pool of 8,
        `make bench-catalog` gave a p99 of 250-460 ms against a p50 of 17 ms. asyncio's semaphore
        serves its waiters in order. Waiting past the pool's timeout is the pool's TimeoutError (a 503)."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self._size)
        try:
            async with asyncio.timeout(self._timeout):
                await gate.acquire()
        except TimeoutError:
            raise sa_exc.TimeoutError(f"no free read connection within {self._timeout:g} s") from None
        try:
            yield
        finally:
            gate.release()

    async def _on_pooled(
        self, compiled: Compiled, params: dict[str, Any], rows: RowFactory[R]
    ) -> tuple[list[R], int | None]:
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

    def candidates(self, shape: Shape, where: list[ColumnElement[bool]]) -> tuple[FromClause, Select[Any] | None]:
        """Up to `cap` matches with their rank, and their number as the query's count (`cap` is at least
        one past the count's cap): one scan of the matches for the page and its total.

        Which scan is decided in the statement, by `common` (PROBE_COMMON of the PROBE_BOOKS newest
        visible books match, filters included): the newest matches along ix_books_created_at (the
        function form `ts_match_vq` keeps the GIN index out of that plan, whatever the planner guesses
        of a bound query), or the GIN index (which cannot stop early, but a word that rare has few
        postings). The other branch's one-time filter is false: it is never executed. Only the public
        catalog walks: unpublished books are too few among the newest for a walk to find them soon."""
        rank = func.ts_rank(_VECTOR, _TSQUERY).label("rank")
        cap: ColumnElement[int] = bindparam("cap")
        indexed = select(books.c.id, rank).where(*where, _VECTOR.op("@@")(_TSQUERY)).limit(cap)
        scan: Select[Any] | CompoundSelect = indexed
        if shape.published is True:
            scan = self._walked_if_common(where, rank, cap, indexed)
        found = scan.cte("found")
        return found, select(func.count().label("total")).select_from(found)

    def _walked_if_common(
        self, where: list[ColumnElement[bool]], rank: ColumnElement[Any], cap: ColumnElement[int], indexed: Select[Any]
    ) -> CompoundSelect:
        """`indexed` unless the words are common among the newest books, else the newest matches."""
        visible, *others = where
        recent = (
            select(books, _VECTOR.label("search_vector"))
            .where(visible)
            .order_by(books.c.created_at.desc(), books.c.id.desc())
            .limit(PROBE_BOOKS)
            .subquery("recent")
        )
        adapt = ClauseAdapter(recent).traverse
        hit = and_(*(adapt(clause) for clause in others), func.ts_match_vq(recent.c.search_vector, _TSQUERY))
        common = and_(func.count().filter(hit) >= PROBE_COMMON, cap <= WALK_CAP).label("common")
        probe = select(common).select_from(recent).cte("probe")
        is_common = select(probe.c.common).scalar_subquery()
        walked = (
            select(books.c.id, rank)
            .where(is_common, *where, func.ts_match_vq(_VECTOR, _TSQUERY))
            .order_by(books.c.created_at.desc(), books.c.id.desc())
            .limit(cap)
        )
        return union_all(walked, indexed.where(not_(is_common)))

    async def fuzzy(
        self, conn: AsyncConnection, q: str, where: list[ColumnElement[bool]], params: dict[str, Any]
    ) -> list[UUID]:
        """Close matches of a query no word of which matched: books whose words begin with the typed
        ones (ranked), else those whose title or author is a near spelling."""
        begun = list((await conn.execute(self.prefix_statement(where), params)).scalars())
        if begun:
            return begun
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

    def prefix_statement(self, where: list[ColumnElement[bool]]) -> Select[Any]:
        """The best FUZZY_CAP of (at most FUZZY_CAP * 4) books matching every typed word as a prefix."""
        rank = func.ts_rank(_VECTOR, _PREFIXES).label("rank")
        ranked = select(books.c.id, rank).where(_VECTOR.op("@@")(_PREFIXES), *where).limit(FUZZY_CAP * 4).subquery()
        return select(ranked.c.id).order_by(ranked.c.rank.desc(), ranked.c.id).limit(FUZZY_CAP)

    def fuzzy_statement(self, typed: str, where: list[ColumnElement[bool]]) -> Select[Any]:
        """Books whose title or author holds a close match of `typed`: the two pg_trgm indexes."""
        title, author = books.c.title, books.c.author  # pg_trgm compares lower-cased: no lower() needed
        close = or_(literal(typed).op("<%")(title), literal(typed).op("<%")(author))
        score = func.greatest(func.word_similarity(typed, title), func.word_similarity(typed, author))
        return select(books.c.id).where(close, *where).order_by(score.desc(), books.c.id).limit(FUZZY_CAP)

"""Import ports on SQL: uploaded files in chunks, and Core bulk statements for a batch of books."""

from __future__ import annotations

import sqlite3
import struct
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

import psycopg
from advanced_alchemy.types import GUID, DateTimeUTC
from psycopg.adapt import PyFormat
from sqlalchemy import (
    ARRAY,
    Column,
    Date,
    Integer,
    Numeric,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.catalog import book_values
from adapters.sql.tables import books, genres, import_files
from domain.catalog import Book, Genre
from domain.imports import ImportConflict, slugify


def _copy_type(source: Column[Any]) -> str:
    """The PostgreSQL type name a binary COPY sends a column's values as."""
    kind = source.type
    if isinstance(kind, GUID):
        return "uuid"
    if isinstance(kind, ARRAY):
        return "bytea"  # sent ready-made by _tag_array: psycopg passes bytes through as they are
    if isinstance(kind, DateTimeUTC):
        return "timestamptz"
    if isinstance(kind, String):  # and Text
        return "text"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Numeric):
        return "bytea"  # sent ready-made by _numeric
    if type(kind) is Integer:
        return "int4"
    raise TypeError(f"no COPY type for {source.name} ({kind!r})")


#: The `books` columns an imported book is written with, in COPY order. The others keep their defaults:
#: a new book has no reviews, so its rating figures are zero and its average none.
_BOOK_COLUMNS = (
    "id",
    "title",
    "author",
    "isbn",
    "description",
    "publisher",
    "publication_date",
    "pages",
    "language",
    "genre_id",
    "price",
    "stock",
    "tags",
    "created_at",
    "updated_at",
)


def _book_row(book: Book) -> tuple[Any, ...]:
    """A new book's `_BOOK_COLUMNS` (what `book_values` holds, without building a dict per row)."""
    return (
        book.id,
        book.title,
        book.author,
        book.isbn,
        book.description,
        book.publisher,
        book.publication_date,
        book.pages,
        book.language,
        None if book.genre is None else book.genre.id,
        _numeric(book.price.amount),
        book.stock,
        _tag_array(tuple(book.tags)),
        book.created_at,
        book.updated_at,
    )


#: The element type of a tag array: varchar, as pg_type numbers it.
_VARCHAR_OID = 1043


# Imported books share few distinct tag lists. Kept for the worker's lifetime, so bounded: at most
# 1,024 lists of at most 30 tags of 50 characters (< 8 MB).
@lru_cache(maxsize=1024)
def _tag_array(tags: tuple[str, ...]) -> bytes:
    """A book's tags as PostgreSQL sends a varchar[] in binary (array_send): dimensions, no nulls, the
    element type, then each tag's length and UTF-8 bytes. A binary COPY carries no types, so the server
    reads these bytes as the column's type. psycopg's list dumper is written in Python and cost the
    worker more than the other 14 columns together; a list already seen costs a cache lookup."""
    items = [tag.encode() for tag in tags]
    dimensions = struct.pack("!ii", len(items), 1) if items else b""  # one dimension from 1, or none
    return b"".join(
        [struct.pack("!iiI", 1 if items else 0, 0, _VARCHAR_OID), dimensions]
        + [struct.pack("!i", len(item)) + item for item in items]
    )


#: psycopg's binary NUMERIC dumper (its C one where installed).
_NUMERIC = psycopg.adapters.get_dumper(Decimal, PyFormat.BINARY)(Decimal)


# Books share prices, and a cache lookup costs a tenth of dumping a Decimal, the dearest of a row's
# columns. Kept for the worker's lifetime, so bounded: 16,384 prices of a few dozen bytes (< 4 MB).
@lru_cache(maxsize=16384)
def _numeric(amount: Decimal) -> bytes:
    """An amount as PostgreSQL sends a numeric in binary (numeric_send), made by psycopg's dumper."""
    dumped = _NUMERIC.dump(amount)
    assert dumped is not None  # None is for SQL NULL, and an amount is never one
    return bytes(dumped)


def _copy_statement(table: Table, names: Sequence[str], *, into: str | None = None) -> tuple[str, list[str]]:
    """A binary COPY of `table`'s columns `names`, into `table` or a table `into` made like it."""
    return (
        f"COPY {into or table.name} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)",
        [_copy_type(table.c[name]) for name in names],
    )


_COPY_BOOKS = _copy_statement(books, _BOOK_COLUMNS)
#: Where a batch's changed books are copied before one UPDATE applies them all: `books`' own column
#: types, made once per connection (a temporary table lives as long as its session), emptied at commit.
_CHANGES_TABLE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS import_changes ON COMMIT DELETE ROWS"
    f" AS SELECT {', '.join(_BOOK_COLUMNS)} FROM books WITH NO DATA"
)
_COPY_CHANGES = _copy_statement(books, _BOOK_COLUMNS, into="import_changes")
#: Every column an import may change (not created_at, nor the rating figures, which it never touches).
_APPLY_CHANGES = (
    "UPDATE books AS b SET "
    + ", ".join(f"{name} = c.{name}" for name in _BOOK_COLUMNS if name not in {"id", "created_at"})
    + " FROM import_changes AS c WHERE b.id = c.id"
)


#: The books that rows without an ISBN would repeat: title and author pairs, one probe of
#: ix_books_title_author each.
EXISTING_KEYS = (
    "SELECT lower(b.title), lower(b.author) FROM books AS b"
    " JOIN unnest(%b::text[], %b::text[]) AS k(title, author)"
    " ON lower(b.title) = k.title AND lower(b.author) = k.author"
)
INDEX_PROBES = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),"
    " set_config('jit', 'off', true)"
)


@asynccontextmanager
async def _conflicts(what: str) -> AsyncIterator[None]:
    """A row written meanwhile (a unique or foreign key), or a deadlock with a concurrent batch, is an
    ImportConflict: the transaction is lost and the use case runs the batch again."""
    try:
        yield
    except (IntegrityError, OperationalError, psycopg.IntegrityError, psycopg.errors.DeadlockDetected) as exc:
        cause = getattr(exc, "orig", exc)
        if not isinstance(cause, psycopg.IntegrityError | psycopg.errors.DeadlockDetected | sqlite3.IntegrityError):
            raise
        raise ImportConflict(f"{what} was written meanwhile") from exc


class SqlImportFiles:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_chunk(self, import_id: UUID, seq: int, data: bytes) -> None:
        values = {"import_id": import_id, "seq": seq, "data": data, "created_at": datetime.now(UTC)}
        await self._conn.execute(insert(import_files).values(values))

    async def chunk(self, import_id: UUID, seq: int) -> bytes | None:
        query = select(import_files.c.data).where(import_files.c.import_id == import_id, import_files.c.seq == seq)
        data = (await self._conn.execute(query)).scalar_one_or_none()
        return None if data is None else bytes(data)

    async def delete(self, import_id: UUID) -> None:
        await self._conn.execute(delete(import_files).where(import_files.c.import_id == import_id))


class SqlBookImport:
    """Each method is a handful of statements for a whole batch, whatever its size."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._probing = False

    @property
    def _postgres(self) -> bool:
        return self._conn.dialect.name == "postgresql"

    async def _driver(self) -> psycopg.AsyncConnection[Any]:
        """psycopg's own connection under this transaction, for COPY and array parameters."""
        raw = await self._conn.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, psycopg.AsyncConnection)
        return driver

    async def _copy(self, statement: tuple[str, list[str]], rows: Iterable[Sequence[Any]]) -> None:
        """A binary COPY into the table: the server parses no SQL and no text per row."""
        sql, types = statement
        async with (await self._driver()).cursor() as cursor, cursor.copy(sql) as copy:
            copy.set_types(types)
            for row in rows:
                await copy.write_row(row)

    async def _fetch(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if not self._probing:
            # While an import runs, `books` grows faster than its statistics, and the planner, which
            # cannot know what lower() costs, turned a batch's title-and-author lookup into a hash join
            # over every book, or a BitmapAnd of the two trigram indexes (seconds for one batch). Plain
            # index scans are what these lookups need: no sequential scan, no bitmap scan (so no GIN
            # index), and no JIT (which those disabled plans' huge costs would set off on the small
            # genre lookup), for the rest of this transaction, whose other statements go by key.
            self._probing = True
            async with (await self._driver()).cursor() as cursor:
                await cursor.execute(INDEX_PROBES)
        async with (await self._driver()).cursor() as cursor:
            # Never prepared: a plan cached while `books` was small would scan the whole table later on.
            await cursor.execute(sql, params, prepare=False)
            return await cursor.fetchall()

    def _insert_ignoring_conflicts(self, table: Any) -> Any:
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

    async def ids_by_isbn(self, isbns: Sequence[str]) -> dict[str, UUID]:
        if not isbns:
            return {}
        if self._postgres:  # one array parameter (binary: psycopg escapes nothing): the same short statement
            found = await self._fetch("SELECT isbn, id FROM books WHERE isbn = ANY(%b)", sorted(set(isbns)))
            return dict(found)
        rows = await self._conn.execute(select(books.c.isbn, books.c.id).where(books.c.isbn.in_(sorted(set(isbns)))))
        return dict(rows.all())

    async def existing_keys(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not keys:
            return set()
        wanted = set(keys)
        if self._postgres:  # probes ix_books_title_author with each pair of the batch
            titles, authors = zip(*sorted(wanted), strict=True)
            found = await self._fetch(EXISTING_KEYS, list(titles), list(authors))
            return {key for key in found if key in wanted}
        title, author = func.lower(books.c.title), func.lower(books.c.author)
        query = select(title, author).where(title.in_(sorted({t for t, _ in wanted})))
        return {key for key in (await self._conn.execute(query)).all() if key in wanted}

    async def genres(self, names: Sequence[str], *, now: datetime) -> dict[str, Genre]:
        if not names:
            return {}
        wanted = {name.lower(): name for name in names}
        slugs = {slugify(name): lower for lower, name in wanted.items()}
        found = await self._find_genres(wanted, slugs)
        missing = sorted(lower for lower in wanted if lower not in found)  # one order for every writer
        if missing:
            rows = [
                {"id": uuid.uuid4(), "name": wanted[lower], "slug": slugify(wanted[lower]), "created_at": now}
                for lower in missing
            ]
            async with _conflicts("a genre"):
                await self._conn.execute(self._insert_ignoring_conflicts(genres), rows)
            found = await self._find_genres(wanted, slugs)
        return found

    async def _find_genres(self, wanted: dict[str, str], slugs: dict[str, str]) -> dict[str, Genre]:
        query = select(genres.c.id, genres.c.name, genres.c.slug).where(
            or_(func.lower(genres.c.name).in_(sorted(wanted)), genres.c.slug.in_(sorted(slugs)))
        )
        found: dict[str, Genre] = {}
        for genre_id, name, slug in (await self._conn.execute(query)).all():
            genre = Genre(genre_id, name, slug)
            if slug in slugs:
                found.setdefault(slugs[slug], genre)
            if name.lower() in wanted:
                found[name.lower()] = genre  # the same name beats the same slug
        return found

    async def insert(self, new: Sequence[Book]) -> None:
        if not new:
            return
        async with _conflicts("a book of the batch"):
            if self._postgres:
                await self._copy(_COPY_BOOKS, map(_book_row, new))
            else:  # sqlite3's executemany is already quick
                rows = [book_values(book) | {"id": book.id, "created_at": book.created_at} for book in new]
                await self._conn.execute(insert(books), rows)

    async def update(self, changed: Sequence[Book]) -> None:
        if not changed:
            return
        async with _conflicts("a genre of the batch"):  # deleted meanwhile: the retry makes it again
            if self._postgres:  # a binary COPY and one UPDATE, not an UPDATE with parameters per book
                async with (await self._driver()).cursor() as cursor:
                    await cursor.execute(_CHANGES_TABLE)
                await self._copy(_COPY_CHANGES, map(_book_row, changed))
                async with (await self._driver()).cursor() as cursor:
                    await cursor.execute(_APPLY_CHANGES)
            else:
                statement = update(books).where(books.c.id == bindparam("b_id"))
                await self._conn.execute(statement, [book_values(book) | {"b_id": book.id} for book in changed])

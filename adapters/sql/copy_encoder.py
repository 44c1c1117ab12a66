"""PostgreSQL's binary COPY: the column types, each book's values as the server reads them, and the bulk
inserts of many rows a batch writes."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.adapt import PyFormat
from sqlalchemy import ARRAY, JSON, Boolean, Column, Date, Float, Integer, Numeric, SmallInteger, String, Table, insert
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import books
from adapters.sql.types import GUID, DateTimeUTC
from domain.catalog import Book

_POSTGRESQL = postgresql.dialect()


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
    if isinstance(kind, Float):  # a Numeric too
        return "float8"
    if isinstance(kind, Numeric):
        return "bytea"  # sent ready-made by _numeric
    if type(kind) is Integer:
        return "int4"
    if isinstance(kind, SmallInteger):
        return "int2"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, JSON):  # psycopg's dumper for the type serialises the document itself
        return "jsonb" if isinstance(kind.dialect_impl(_POSTGRESQL), postgresql.JSONB) else "json"
    raise TypeError(f"no COPY type for {source.name} ({kind!r})")


#: The `books` columns an imported book is written with, in COPY order. The others keep their defaults:
#: a new book has no reviews, so its rating figures are zero and its average none.
BOOK_COLUMNS = (
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


def book_row(book: Book) -> tuple[Any, ...]:
    """A new book's `BOOK_COLUMNS` (what `book_values` holds, without building a dict per row)."""
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
        None if book.price is None else _numeric(book.price.amount),
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


COPY_BOOKS = _copy_statement(books, BOOK_COLUMNS)
#: Where a batch's changed books are copied before one UPDATE applies them all: `books`' own column
#: types, made once per connection (a temporary table lives as long as its session), emptied at commit.
CHANGES_TABLE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS import_changes ON COMMIT DELETE ROWS"
    f" AS SELECT {', '.join(BOOK_COLUMNS)} FROM books WITH NO DATA"
)
COPY_CHANGES = _copy_statement(books, BOOK_COLUMNS, into="import_changes")
#: Every column an import may change (not created_at, nor the rating figures, which it never touches).
APPLY_CHANGES = (
    "UPDATE books AS b SET "
    + ", ".join(f"{name} = c.{name}" for name in BOOK_COLUMNS if name not in {"id", "created_at"})
    + " FROM import_changes AS c WHERE b.id = c.id"
)


async def driver(conn: AsyncConnection) -> psycopg.AsyncConnection[Any]:
    """psycopg's own connection under this SQLAlchemy connection's transaction, for COPY."""
    raw = await conn.get_raw_connection()
    connection = raw.driver_connection
    assert isinstance(connection, psycopg.AsyncConnection)
    return connection


async def copy_rows(conn: AsyncConnection, statement: tuple[str, list[str]], rows: Iterable[Sequence[Any]]) -> None:
    """A binary COPY in this transaction: the server parses no SQL and no text per row. A constraint it
    breaks is an IntegrityError, as an INSERT's would be."""
    sql, types = statement
    try:
        async with (await driver(conn)).cursor() as cursor, cursor.copy(sql) as copy:
            copy.set_types(types)
            for row in rows:
                await copy.write_row(row)
    except psycopg.IntegrityError as exc:
        raise IntegrityError(sql, None, exc) from exc


#: A column's position in a COPY and how its value becomes the bytes the COPY sends.
_Encoders = tuple[tuple[int, Callable[[Any], bytes]], ...]


def _sent_as_bytes(source: Column[Any]) -> Callable[[Any], bytes] | None:
    """How a column `_copy_type` sends as ready-made bytes turns an INSERT's value into them."""
    kind = source.type
    if isinstance(kind, ARRAY):
        return lambda tags: _tag_array(tuple(tags))
    if isinstance(kind, Numeric) and not isinstance(kind, Float):
        return _numeric
    return None


@lru_cache(maxsize=64)
def _copy_of(table: Table, names: tuple[str, ...]) -> tuple[tuple[str, list[str]], _Encoders]:
    """The COPY of these columns, and the columns (by position) whose values it sends as bytes."""
    encoders = ((i, _sent_as_bytes(table.c[name])) for i, name in enumerate(names))
    return _copy_statement(table, names), tuple((i, encode) for i, encode in encoders if encode is not None)


def _encoded(
    row: Mapping[str, Any], names: tuple[str, ...], encoders: Sequence[tuple[int, Callable[[Any], bytes]]]
) -> list[Any]:
    values = [row[name] for name in names]
    for i, encode in encoders:
        if values[i] is not None:
            values[i] = encode(values[i])
    return values


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows with the same keys into `table`: one INSERT for one row, a binary COPY for more on PostgreSQL
    (psycopg sends an executemany as an INSERT per row), an executemany elsewhere. The values are the
    columns' Python values (aware datetimes, UUIDs), as an INSERT takes them."""
    if not rows:
        return
    if conn.dialect.name != "postgresql" or len(rows) == 1:
        await conn.execute(insert(table), list(rows))
        return
    names = tuple(rows[0])
    statement, encoders = _copy_of(table, names)
    await copy_rows(conn, statement, (_encoded(row, names, encoders) for row in rows))

"""Import ports on SQL: uploaded files in chunks, and bulk statements for a batch of books.

What both databases share is `SqlBookImport`; `SqliteBookImport` writes with Core statements (sqlite3's
executemany is already quick), `PostgresBookImport` (adapters/sql/imports_postgres.py) with binary COPY.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.catalog import book_values
from adapters.sql.tables import books, genres, import_files
from domain.catalog import Book, Genre, slugify
from domain.imports import ImportConflict


@asynccontextmanager
async def conflicts(what: str) -> AsyncIterator[None]:
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
    """Each method is a handful of statements for a whole batch, whatever its size; the genres are
    looked up and made the same way on both databases."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _insert_ignoring_conflicts(self, table: Any) -> Any:
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

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
            async with conflicts("a genre"):
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


class SqliteBookImport(SqlBookImport):
    """Core statements with a parameter set per book."""

    async def ids_by_isbn(self, isbns: Sequence[str]) -> dict[str, UUID]:
        if not isbns:
            return {}
        rows = await self._conn.execute(select(books.c.isbn, books.c.id).where(books.c.isbn.in_(sorted(set(isbns)))))
        return dict(rows.all())

    async def existing_keys(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not keys:
            return set()
        wanted = set(keys)
        title, author = func.lower(books.c.title), func.lower(books.c.author)
        query = select(title, author).where(title.in_(sorted({t for t, _ in wanted})))
        return {key for key in (await self._conn.execute(query)).all() if key in wanted}

    async def insert(self, new: Sequence[Book]) -> None:
        if not new:
            return
        rows = [book_values(book) | {"id": book.id, "created_at": book.created_at} for book in new]
        async with conflicts("a book of the batch"):
            await self._conn.execute(insert(books), rows)

    async def update(self, changed: Sequence[Book]) -> None:
        if not changed:
            return
        statement = update(books).where(books.c.id == bindparam("b_id"))
        async with conflicts("a genre of the batch"):  # deleted meanwhile: the retry makes it again
            await self._conn.execute(statement, [book_values(book) | {"b_id": book.id} for book in changed])

"""Import ports on SQL: uploaded files in chunks, and Core bulk statements for a batch of books."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Column, Table, Text, bindparam, cast, column, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.catalog import book_values
from adapters.sql.tables import book_tags, books, genres, import_files, tags
from domain.catalog import Book, Genre
from domain.imports import ImportConflict, slugify


def _pg_type(source: Column[Any]) -> Any:
    """The PostgreSQL type of a column's values (advanced-alchemy's types by their native ones)."""
    if isinstance(source.type, GUID):
        return postgresql.UUID(as_uuid=True)
    if isinstance(source.type, DateTimeUTC):
        return postgresql.TIMESTAMP(timezone=True)
    return source.type


def _json_value(value: object) -> str:
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, date):  # and datetime
        return value.isoformat()
    raise TypeError(f"no JSON form for {type(value).__name__}")


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

    async def _insert_rows(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if self._conn.dialect.name == "postgresql":
            # One INSERT ... SELECT FROM jsonb_to_recordset(one JSON text) per batch: psycopg would
            # otherwise parse a huge statement text, or escape every array element, in Python.
            names = list(rows[0])
            doc = cast(bindparam("rows", json.dumps(rows, default=_json_value), type_=Text), JSONB)
            source = (
                func.jsonb_to_recordset(doc)
                .table_valued(*(column(name, _pg_type(table.c[name])) for name in names))
                .render_derived(name="r", with_types=True)
            )
            await self._conn.execute(insert(table).from_select(names, select(*(source.c[n] for n in names))))
        else:
            await self._conn.execute(insert(table), rows)  # sqlite3's executemany is already quick

    def _insert_ignoring_conflicts(self, table: Any) -> Any:
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

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

    async def genres(self, names: Sequence[str], *, now: datetime) -> dict[str, Genre]:
        if not names:
            return {}
        wanted = {name.lower(): name for name in names}
        slugs = {slugify(name): lower for lower, name in wanted.items()}
        found = await self._find_genres(wanted, slugs)
        missing = [lower for lower in wanted if lower not in found]
        if missing:
            rows = [
                {"id": uuid.uuid4(), "name": wanted[lower], "slug": slugify(wanted[lower]), "created_at": now}
                for lower in missing
            ]
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
        rows = [book_values(book) | {"id": book.id, "created_at": book.created_at} for book in new]
        try:
            await self._insert_rows(books, rows)
        except IntegrityError as exc:
            # The transaction is lost; the use case runs the batch again, now seeing that book.
            raise ImportConflict("a book of the batch was written meanwhile") from exc
        await self._add_tags(new)

    async def update(self, changed: Sequence[Book]) -> None:
        if not changed:
            return
        statement = update(books).where(books.c.id == bindparam("b_id"))
        await self._conn.execute(statement, [book_values(book) | {"b_id": book.id} for book in changed])
        ids = [book.id for book in changed]
        await self._conn.execute(delete(book_tags).where(book_tags.c.book_id.in_(ids)))
        await self._add_tags(changed)

    async def _add_tags(self, tagged: Sequence[Book]) -> None:
        names = sorted({name for book in tagged for name in book.tags})
        if not names:
            return
        ids = await self._tag_ids(names)
        missing = [name for name in names if name not in ids]
        if missing:
            rows = [{"id": uuid.uuid4(), "name": name} for name in missing]
            await self._conn.execute(self._insert_ignoring_conflicts(tags), rows)
            ids = await self._tag_ids(names)
        links = [{"book_id": book.id, "tag_id": ids[name]} for book in tagged for name in set(book.tags)]
        await self._insert_rows(book_tags, links)

    async def _tag_ids(self, names: Sequence[str]) -> dict[str, UUID]:
        rows = await self._conn.execute(select(tags.c.name, tags.c.id).where(tags.c.name.in_(names)))
        return dict(rows.all())

"""The import's bulk statements on PostgreSQL: array parameters, index probes and binary COPY."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import psycopg
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.copy_encoder import (
    APPLY_CHANGES,
    CHANGES_TABLE,
    COPY_BOOKS,
    COPY_CHANGES,
    book_row,
    copy_rows,
    driver,
)
from adapters.sql.imports import SqlBookImport, conflicts
from domain.catalog import Book

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


class PostgresBookImport(SqlBookImport):
    """A statement per batch: lookups by array parameter, new and changed books by binary COPY."""

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self._probing = False

    async def _driver(self) -> psycopg.AsyncConnection[Any]:
        """psycopg's own connection under this transaction, for COPY and array parameters."""
        return await driver(self._conn)

    async def _copy(self, statement: tuple[str, list[str]], rows: Iterable[Sequence[Any]]) -> None:
        await copy_rows(self._conn, statement, rows)

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

    async def ids_by_isbn(self, isbns: Sequence[str]) -> dict[str, UUID]:
        if not isbns:
            return {}
        # One array parameter (binary: psycopg escapes nothing): the same short statement every time.
        found = await self._fetch("SELECT isbn, id FROM books WHERE isbn = ANY(%b)", sorted(set(isbns)))
        return dict(found)

    async def existing_keys(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not keys:
            return set()
        wanted = set(keys)
        titles, authors = zip(*sorted(wanted), strict=True)  # probes ix_books_title_author with each pair
        found = await self._fetch(EXISTING_KEYS, list(titles), list(authors))
        return {key for key in found if key in wanted}

    async def insert(self, new: Sequence[Book]) -> None:
        if not new:
            return
        async with conflicts("a book of the batch"):
            await self._copy(COPY_BOOKS, map(book_row, new))

    async def update(self, changed: Sequence[Book]) -> None:
        if not changed:
            return
        async with conflicts("a genre of the batch"):  # deleted meanwhile: the retry makes it again
            # A binary COPY and one UPDATE, not an UPDATE with parameters per book.
            async with (await self._driver()).cursor() as cursor:
                await cursor.execute(CHANGES_TABLE)
            await self._copy(COPY_CHANGES, map(book_row, changed))
            async with (await self._driver()).cursor() as cursor:
                await cursor.execute(APPLY_CHANGES)

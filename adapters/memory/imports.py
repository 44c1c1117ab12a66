"""In-process fakes of the import ports: progress, stored uploads, the bulk writer and the queue."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from adapters.memory.catalog import stored_row
from domain.catalog import Book, Genre, slugify
from domain.imports import ImportConflict, ImportProgress, duplicate_key

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork

log = logging.getLogger(__name__)


class MemoryImportProgressStore:
    """Progress records of this process only (the embedded default runs one process)."""

    def __init__(self) -> None:
        self._records: dict[UUID, ImportProgress] = {}

    async def save(self, progress: ImportProgress) -> None:
        self._records[progress.id] = _copy(progress)

    async def get(self, import_id: UUID) -> ImportProgress | None:
        found = self._records.get(import_id)
        return None if found is None else _copy(found)


def _copy(progress: ImportProgress) -> ImportProgress:
    """A copy that shares nothing mutable: its fields are immutable but the list of (frozen) errors.
    deepcopy walked every kept error at every batch."""
    return replace(progress, errors=list(progress.errors))


class InProcessImportQueue:
    """Runs each import as an asyncio task of this process: no worker needed."""

    def __init__(self) -> None:
        self._run: Callable[[UUID], Awaitable[object]] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def bind(self, run: Callable[[UUID], Awaitable[object]]) -> None:
        self._run = run

    async def enqueue(self, import_id: UUID) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(import_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, import_id: UUID) -> None:
        assert self._run is not None, "bind() the import runner first"
        try:
            await self._run(import_id)
        except Exception:
            log.exception("import %s failed", import_id)

    async def drain(self) -> None:
        """Waits for the imports started so far (tests, and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


class MemoryImportFiles:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._chunks: dict[tuple[UUID, int], bytes] = uow.table("import_files")

    async def add_chunk(self, import_id: UUID, seq: int, data: bytes) -> None:
        self._chunks[(import_id, seq)] = data

    async def chunk(self, import_id: UUID, seq: int) -> bytes | None:
        return self._chunks.get((import_id, seq))

    async def delete(self, import_id: UUID) -> None:
        for key in [key for key in self._chunks if key[0] == import_id]:
            del self._chunks[key]


class MemoryBookImport:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._books: dict[UUID, Book] = uow.table("books")
        self._genres: dict[UUID, Genre] = uow.table("genres")

    async def ids_by_isbn(self, isbns: Sequence[str]) -> dict[str, UUID]:
        wanted = set(isbns)
        return {book.isbn: book.id for book in self._books.values() if book.isbn in wanted and book.isbn}

    async def existing_keys(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        wanted = set(keys)
        return {key for book in self._books.values() if (key := duplicate_key(book.title, book.author)) in wanted}

    async def genres(self, names: Sequence[str], *, now: datetime) -> dict[str, Genre]:
        by_name = {genre.name.lower(): genre for genre in self._genres.values()}
        by_slug = {genre.slug: genre for genre in self._genres.values()}
        found: dict[str, Genre] = {}
        for name in names:
            genre = by_name.get(name.lower()) or by_slug.get(slugify(name))
            if genre is None:
                genre = Genre(uuid4(), name, slugify(name))
                self._genres[genre.id] = by_name[name.lower()] = by_slug[genre.slug] = genre
            found[name.lower()] = genre
        return found

    def _refuse_missing_genres(self, books: Sequence[Book]) -> None:
        """As the `genre_id` foreign key does: a genre deleted since the batch looked it up."""
        if any(book.genre is not None and book.genre.id not in self._genres for book in books):
            raise ImportConflict("a genre of the batch was deleted meanwhile")

    async def insert(self, books: Sequence[Book]) -> None:
        taken = {book.isbn for book in self._books.values() if book.isbn}
        if any(book.isbn in taken for book in books if book.isbn):
            raise ImportConflict("an ISBN of the batch was taken meanwhile")
        self._refuse_missing_genres(books)
        for book in books:
            self._books[book.id] = stored_row(book)

    async def update(self, books: Sequence[Book]) -> None:
        self._refuse_missing_genres(books)
        for book in books:
            self._books[book.id] = stored_row(book)

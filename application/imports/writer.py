"""The concurrent batch writer: up to `lanes` batches in flight, each in its own transaction, with the
results of writing them one after the other (on SQLite and the fakes the transactions take turns)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.imports.batches import Batch, drop_repeats
from application.ports.clock import Clock
from application.ports.uow import UnitOfWork, UowFactory
from domain.catalog import Book, Genre
from domain.events import BooksChanged
from domain.ids import uuid7s
from domain.imports import BookRecord, ImportConflict, RowError

#: Tries of a batch that loses its transaction to a conflict.
RETRIES = 3


@dataclass(eq=False, slots=True)
class Written:
    created: int
    updated: int
    errors: list[RowError]


class _EarlierFirst(Exception):
    """A batch that gives books another title or author waits for the batches before it to be written,
    outside a transaction: one of those retried after a conflict would otherwise see a title renamed
    away, unlike a sequential import. Waiting inside it would leave them no turn where writers take
    turns. Other updates (price, stock, ...) change nothing that another batch looks up."""


@dataclass(eq=False, slots=True)
class _Flight:
    """A batch being written. Later batches wait for `clear` before they look anything up."""

    isbns: set[str]
    keys: set[tuple[str, str]]
    clear: asyncio.Event
    task: asyncio.Task[Written]

    def touches(self, isbns: set[str], keys: set[tuple[str, str]]) -> bool:
        """Whether another batch shares an ISBN or a title and author with this one."""
        return not (self.isbns.isdisjoint(isbns) and self.keys.isdisjoint(keys))


class BatchWriter:
    """Takes batches from a queue (None ends it) and hands each result, in file order, to `on_written`."""

    def __init__(
        self, *, uow: UowFactory, clock: Clock, lanes: int, on_written: Callable[[Written], Awaitable[None]]
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._lanes = lanes
        self._on_written = on_written

    async def write_all(self, queue: asyncio.Queue[Batch | None]) -> None:
        """A batch that shares an ISBN or a title and author with one being written waits until that one
        is committed. Any other batch waits until those before it have looked up what they need (and,
        if they rename books, until they are committed), so it never sees what they write. A batch
        that renames books commits after every batch before it, so that one retried after a conflict
        does not see its changes either.
        """
        flights: list[_Flight] = []
        try:
            while (batch := await queue.get()) is not None:
                if len(flights) == self._lanes:
                    await self._on_written(await flights.pop(0).task)
                isbns, keys = set(batch.isbns), {record.key for _, record in batch.rows}
                for earlier in flights:
                    if earlier.touches(isbns, keys):
                        await asyncio.wait((earlier.task,))
                    await earlier.clear.wait()
                while flights and (flights[0].task.done() or _failed(flights)):
                    await self._on_written(await flights.pop(0).task)  # raises the first error
                clear = asyncio.Event()
                earlier_tasks = [flight.task for flight in flights]
                task = asyncio.create_task(self._write_batch(batch, clear, earlier_tasks))
                flights.append(_Flight(isbns, keys, clear, task))
            while flights:
                await self._on_written(await flights.pop(0).task)
        except asyncio.CancelledError:
            await _stop([flight.task for flight in flights])
            raise
        except Exception:
            # Batches after a failed one may have been committed: they count, then the import fails.
            tasks = [flight.task for flight in flights]
            await asyncio.gather(*tasks, return_exceptions=True)
            for task in tasks:
                if not task.cancelled() and task.exception() is None:
                    await self._on_written(task.result())
            raise

    async def _write_batch(self, batch: Batch, clear: asyncio.Event, earlier: list[asyncio.Task[Written]]) -> Written:
        """Writes one batch (retried on a conflict); sets `clear` once later batches may go on."""
        try:
            errors = list(batch.errors)
            rows = drop_repeats(batch.rows, errors)
            conflicts = 0
            while True:
                try:
                    created, updated, found = await self._write(rows, clear, earlier)
                    break
                except _EarlierFirst:
                    await asyncio.wait(earlier)  # rolled back; once they are done, it starts again
                except ImportConflict:
                    conflicts += 1
                    if conflicts == RETRIES:
                        raise
            errors.extend(found)
            errors.sort(key=lambda error: error.line)
            return Written(created, updated, errors)
        finally:
            clear.set()

    async def _write(
        self, rows: list[tuple[int, BookRecord]], clear: asyncio.Event, earlier: list[asyncio.Task[Written]]
    ) -> tuple[int, int, list[RowError]]:
        """One transaction: BackInStock handlers run inside it, at commit. A batch that renames books
        raises _EarlierFirst (and is rolled back) while batches before it are still being written."""
        errors: list[RowError] = []
        if not rows:
            return 0, 0, errors
        now = self._clock.now()
        async with self._uow() as uow:
            repo = uow.book_import
            ids = await repo.ids_by_isbn([record.isbn for _, record in rows if record.isbn])
            plain = [(line, record, record.key) for line, record in rows if not record.isbn]
            taken = await repo.existing_keys([key for _, _, key in plain])
            if not ids:
                clear.set()  # only new books: what later batches look up is not changed by this one
            for line, record, key in plain:
                if key in taken:
                    message = f"duplicate: a book titled {record.title!r} by {record.author} exists"
                    errors.append(RowError(line, message))
            bad = {error.line for error in errors}
            rows = [(line, record) for line, record in rows if line not in bad]
            genres = await repo.genres(sorted({r.genre for _, r in rows if r.genre}), now=now)
            new: list[BookRecord] = []
            changes: dict[UUID, BookRecord] = {}
            for _, record in rows:
                if record.isbn and record.isbn in ids:
                    changes[ids[record.isbn]] = record
                else:
                    new.append(record)
            fresh = [
                record.new_book(book_id, genres.get(record.genre.lower()) if record.genre else None, now)
                for record, book_id in zip(new, uuid7s(len(new)), strict=True)
            ]
            books, changed, renames = await _apply(uow, changes, genres, now)
            if renames:
                if not all(task.done() for task in earlier):
                    raise _EarlierFirst
            else:
                clear.set()  # it changes no title or author: what later batches look up stays as it is
            await repo.update(changed)
            await repo.insert(fresh)
            uow.record(BooksChanged())  # books added or changed
            await uow.commit()
        # A row that changes nothing still counts as updated: its book has the row's values.
        return len(fresh), len(books), errors


async def _apply(
    uow: UnitOfWork, changes: dict[UUID, BookRecord], genres: dict[str, Genre], now: datetime
) -> tuple[list[Book], list[Book], bool]:
    """Applies the rows to their books (locked and tracked: BackInStock is dispatched). Returns the
    books, those that changed, and whether any moved to another title and author."""
    books = await uow.books.get_many(list(changes), lock=True)
    changed = []
    renames = False
    for book in books:
        record = changes[book.id]
        renames = renames or record.renames(book)
        genre = genres.get(record.genre.lower()) if record.genre else None
        if record.apply_to(book, genre, now):
            changed.append(book)
    return books, changed, renames


def _failed(flights: list[_Flight]) -> bool:
    return any(f.task.done() and (f.task.cancelled() or f.task.exception() is not None) for f in flights)


async def _stop(tasks: list[asyncio.Task[Written]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

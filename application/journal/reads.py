"""Reads by hand: a past read or a re-read entered, a read's dates changed, a read deleted; and progress."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid4

from application.ports.clock import Clock
from application.ports.shelf import ShelfItem
from application.ports.uow import UnitOfWork, UowFactory
from domain.errors import NotFound
from domain.journal import Read
from domain.shelf import ShelfEntry


async def entry_of_book(uow: UnitOfWork, user_id: UUID, book_id: UUID, *, lock: bool = True) -> ShelfEntry:
    entry = await uow.shelf.get(user_id, book_id, lock=lock)
    if entry is None:
        raise NotFound("shelf entry")
    return entry


async def entry_of_read(uow: UnitOfWork, user_id: UUID, read_id: UUID, *, lock: bool = True) -> ShelfEntry:
    """The caller's entry owning the read (locked for a change); someone else's read is not found, as a missing one."""
    entry = await uow.shelf.of_read(read_id, lock=lock)
    if entry is None or entry.user_id != user_id:
        raise NotFound("read")
    return entry


@dataclass(frozen=True, slots=True)
class AddRead:
    user_id: UUID
    book_id: UUID
    started_on: date | None = None
    finished_on: date | None = None


@dataclass(frozen=True, slots=True)
class ReviseRead:
    """Only the dates named in `sent` change; a sent None clears that date."""

    user_id: UUID
    read_id: UUID
    started_on: date | None = None
    finished_on: date | None = None
    stopped_on: date | None = None
    sent: frozenset[str] = field(default_factory=frozenset)

    def value(self, name: str, current: date | None) -> date | None:
        value: date | None = getattr(self, name)
        return value if name in self.sent else current


@dataclass(frozen=True, slots=True)
class DeleteRead:
    user_id: UUID
    read_id: UUID


@dataclass(frozen=True, slots=True)
class LogProgress:
    """Exactly one of `page` and `percent`."""

    user_id: UUID
    book_id: UUID
    page: int | None = None
    percent: float | None = None


class ReadsHandler:
    """The reader's reads of a book: each change loads the shelf entry that owns them and writes it back."""

    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def add(self, cmd: AddRead) -> Read:
        async with self._uow() as uow:
            entry = await entry_of_book(uow, cmd.user_id, cmd.book_id)
            read = entry.add_read(
                uuid4(), started_on=cmd.started_on, finished_on=cmd.finished_on, now=self._clock.now()
            )
            await uow.shelf.update(entry)
            await uow.commit()
        return read

    async def revise(self, cmd: ReviseRead) -> Read:
        async with self._uow() as uow:
            entry = await entry_of_read(uow, cmd.user_id, cmd.read_id)
            read = entry.read(cmd.read_id)
            revised = entry.revise_read(
                cmd.read_id,
                started_on=cmd.value("started_on", read.started_on),
                finished_on=cmd.value("finished_on", read.finished_on),
                stopped_on=cmd.value("stopped_on", read.stopped_on),
                now=self._clock.now(),
            )
            await uow.shelf.update(entry)
            await uow.commit()
        return revised

    async def delete(self, cmd: DeleteRead) -> None:
        async with self._uow() as uow:
            entry = await entry_of_read(uow, cmd.user_id, cmd.read_id)
            entry.remove_read(cmd.read_id, now=self._clock.now())
            await uow.shelf.update(entry)
            await uow.commit()

    async def log_progress(self, cmd: LogProgress) -> ShelfItem:
        async with self._uow() as uow:
            book = await uow.books.get(cmd.book_id)
            entry = await entry_of_book(uow, cmd.user_id, cmd.book_id)
            if book is None:
                raise NotFound("shelf entry")
            entry.log_progress(
                page=cmd.page, percent=cmd.percent, pages=book.pages, now=self._clock.now(), read_id=uuid4()
            )
            await uow.shelf.update(entry)
            review = await uow.reviews.get_live(cmd.user_id, cmd.book_id)
            await uow.commit()
        return ShelfItem(entry, book, review)

    async def get(self, user_id: UUID, read_id: UUID) -> Read:
        async with self._uow(read_only=True) as uow:
            entry = await entry_of_read(uow, user_id, read_id, lock=False)
        return entry.read(read_id)

    async def of_book(self, user_id: UUID, book_id: UUID, *, limit: int, offset: int) -> tuple[Sequence[Read], int]:
        """Newest first: the open read, then by latest date. A book's reads are few; they come with its entry."""
        async with self._uow(read_only=True) as uow:
            entry = await entry_of_book(uow, user_id, book_id, lock=False)
        reads = entry.newest_reads()
        return reads[offset : offset + limit], len(reads)

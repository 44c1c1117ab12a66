"""The reading shelf: which books a reader wants, reads and has finished, and the reads of each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from uuid import UUID

from domain.activity import ActivityEvent, ActivityKind, Done
from domain.errors import Conflict, NotFound
from domain.events import DomainEvent
from domain.journal import Progress, Read, ReadAlreadyOpen, ReadFinished, ReadingProgressed, check_dates


class ShelfStatus(StrEnum):
    WISHLIST = "WISHLIST"
    READING = "READING"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    DID_NOT_FINISH = "DID_NOT_FINISH"


class AlreadyOnShelf(Conflict):
    code = "already-on-shelf"
    title = "Book already on the shelf"


@dataclass(frozen=True, slots=True)
class BookShelved(ActivityEvent):
    kind = ActivityKind.SHELVED
    user_id: UUID
    book_id: UUID
    status: ShelfStatus
    at: datetime

    def done(self) -> Done:
        return Done(self.user_id, self.at, self.book_id, {"status": self.status.value})


@dataclass(frozen=True, slots=True)
class ShelfStatusChanged(ActivityEvent):
    kind = ActivityKind.STATUS_CHANGED
    user_id: UUID
    book_id: UUID
    before: ShelfStatus
    after: ShelfStatus
    at: datetime

    def done(self) -> Done:
        return Done(self.user_id, self.at, self.book_id, {"from": self.before.value, "to": self.after.value})


def reader_today(now: datetime) -> date:
    """The reader's calendar day: the day in UTC."""
    return now.astimezone(UTC).date()


@dataclass(eq=False, slots=True)
class ShelfEntry:
    """One book on one reader's shelf, owning its reads; the wishlist is the entries with status WISHLIST.

    `read_count` (finished reads) and `progress` (the open read's) are kept by the verbs, so that a listing
    reads them off the entry; such a listing leaves `reads` unloaded and its entries are not changed.
    `review_text` is the entry's own text: what the reader wrote of a book they have no review of (a text
    without a rating, or one the review rules did not allow); a review, once written, is what is shown.
    """

    user_id: UUID
    book_id: UUID
    status: ShelfStatus
    date_added: datetime
    updated_at: datetime
    owned: bool = False
    read_count: int = 0
    progress: Progress | None = None
    review_text: str | None = None
    reads: list[Read] = field(default_factory=list)
    reads_loaded: bool = True
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def place(
        cls, user_id: UUID, book_id: UUID, status: ShelfStatus, *, now: datetime, read_id: UUID, owned: bool = False
    ) -> ShelfEntry:
        """A new entry; any status but WISHLIST opens, finishes or stops a read as a move to it would."""
        entry = cls(user_id, book_id, ShelfStatus.WISHLIST, now, now, owned=owned)
        entry._move(status, now=now, read_id=read_id)
        entry.events.append(BookShelved(user_id, book_id, status, now))
        return entry

    # -- status ----------------------------------------------------------------------------------------
    def move_to(self, status: ShelfStatus, *, now: datetime, read_id: UUID) -> None:
        """READING or PAUSED open a read started today unless one is open; COMPLETED finishes the open read
        today (or records one finished today); DID_NOT_FINISH stops it today (or records one stopped today).
        `read_id` names the read a move may create. Any status may follow any other: books are read again."""
        if status is not self.status:
            self.events.append(ShelfStatusChanged(self.user_id, self.book_id, self.status, status, now))
        self._move(status, now=now, read_id=read_id)

    def _move(self, status: ShelfStatus, *, now: datetime, read_id: UUID) -> None:
        if status is self.status:
            return
        self._ensure_loaded()
        today = reader_today(now)
        current = self.open_read
        if status in (ShelfStatus.READING, ShelfStatus.PAUSED) and current is None:
            self._append(Read(read_id, self.user_id, self.book_id, today, now))
        elif status in (ShelfStatus.COMPLETED, ShelfStatus.DID_NOT_FINISH):
            if current is None:
                current = self._append(Read(read_id, self.user_id, self.book_id, None, now))
            if status is ShelfStatus.COMPLETED:
                self._finished(current, today, now)
            else:
                current.stopped_on = today
        self.status = status
        self._changed(now)

    def mark_owned(self, *, now: datetime) -> None:
        """The reader has a confirmed order of the book."""
        if not self.owned:
            self.owned = True
            self._changed(now)

    def keep_text(self, text: str | None, *, now: datetime) -> bool:
        """The entry's own text (None clears it); whether it changed."""
        if text == self.review_text:
            return False
        self.review_text = text
        self.updated_at = now
        return True

    def touch(self, *, now: datetime) -> None:
        """The reader rated or reviewed the book from the shelf."""
        self.updated_at = now

    @property
    def is_completed(self) -> bool:
        """Finished at least once (a re-read in progress still counts)."""
        return self.status is ShelfStatus.COMPLETED or self.read_count > 0

    # -- reads -----------------------------------------------------------------------------------------
    @property
    def open_read(self) -> Read | None:
        return next((read for read in self.reads if read.is_open), None)

    def read(self, read_id: UUID) -> Read:
        self._ensure_loaded()
        for read in self.reads:
            if read.id == read_id:
                return read
        raise NotFound("read")

    def newest_reads(self) -> list[Read]:
        self._ensure_loaded()
        return sorted(self.reads, key=Read.newest_first_key)

    def add_read(self, read_id: UUID, *, started_on: date | None, finished_on: date | None, now: datetime) -> Read:
        """A read entered by hand: a past one (with `finished_on`) or a re-read (open; started today unless told)."""
        self._ensure_loaded()
        today = reader_today(now)
        check_dates(started_on=started_on, finished_on=finished_on, stopped_on=None, today=today)
        if finished_on is None:
            self._ensure_none_open()
            started_on = started_on or today
        read = self._append(Read(read_id, self.user_id, self.book_id, started_on, now))
        if finished_on is not None:
            self._finished(read, finished_on, now)
        self._changed(now)
        return read

    def revise_read(
        self,
        read_id: UUID,
        *,
        started_on: date | None,
        finished_on: date | None,
        stopped_on: date | None,
        now: datetime,
    ) -> Read:
        """Sets a read's dates as given; an end set or cleared finishes, stops or reopens it. An undated
        finish without an end given stays finished (it had no date to clear); a date or a stop replaces it."""
        read = self.read(read_id)
        check_dates(started_on=started_on, finished_on=finished_on, stopped_on=stopped_on, today=reader_today(now))
        undated = read.finished_undated and finished_on is None and stopped_on is None
        if finished_on is None and stopped_on is None and not read.is_open and not undated:
            self._ensure_none_open()
        was_finished = read.is_finished
        read.started_on, read.stopped_on, read.finished_undated = started_on, stopped_on, undated
        if finished_on is not None and not was_finished:
            self._finished(read, finished_on, now)
        elif finished_on is None and was_finished and not undated:
            self.read_count -= 1
        read.finished_on = finished_on  # a finished read's new date is not another finish
        self._changed(now)
        return read

    def remove_read(self, read_id: UUID, *, now: datetime) -> None:
        read = self.read(read_id)
        self.reads.remove(read)
        if read.is_finished:
            self.read_count -= 1
        self._changed(now)

    def log_progress(
        self, *, page: int | None, percent: float | None, pages: int | None, now: datetime, read_id: UUID
    ) -> Read:
        """Progress on the open read, opening one (and moving to READING) if none is; a paused book stays
        paused, any other moves to READING. Reaching the last page or 100 % does not finish the book."""
        self._ensure_loaded()
        progress = Progress.of(page=page, percent=percent, pages=pages, now=now)
        current = self.open_read
        if current is None:
            current = self._append(Read(read_id, self.user_id, self.book_id, reader_today(now), now))
            self.status = ShelfStatus.READING
        elif self.status is not ShelfStatus.PAUSED:
            self.status = ShelfStatus.READING
        current.progress = progress
        self.events.append(
            ReadingProgressed(self.user_id, self.book_id, now, current.id, progress.page, progress.percent)
        )
        self._changed(now)
        return current

    # -- bookkeeping -----------------------------------------------------------------------------------
    def _append(self, read: Read) -> Read:
        self.reads.append(read)
        return read

    def _finished(self, read: Read, day: date, now: datetime) -> None:
        read.finished_on = day
        self.read_count += 1
        self.events.append(ReadFinished(self.user_id, self.book_id, now, read.id, day))

    def _changed(self, now: datetime) -> None:
        current = self.open_read
        self.progress = None if current is None else current.progress
        self.updated_at = now

    def _ensure_none_open(self) -> None:
        if self.open_read is not None:
            raise ReadAlreadyOpen("finish, stop or delete the open read of this book first")

    def _ensure_loaded(self) -> None:
        if not self.reads_loaded:
            raise RuntimeError("this shelf entry was listed without its reads; load it to change it")

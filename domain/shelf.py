"""The reading shelf: which books a reader wants, reads and has finished."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.activity import ActivityEvent, ActivityKind, Done
from domain.errors import Conflict
from domain.events import DomainEvent


class ShelfStatus(StrEnum):
    WISHLIST = "WISHLIST"
    READING = "READING"
    COMPLETED = "COMPLETED"


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


@dataclass(eq=False, slots=True)
class ShelfEntry:
    """One book on one reader's shelf; the wishlist is the entries with status WISHLIST."""

    user_id: UUID
    book_id: UUID
    status: ShelfStatus
    date_added: datetime
    updated_at: datetime
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def place(cls, user_id: UUID, book_id: UUID, status: ShelfStatus, *, now: datetime) -> ShelfEntry:
        entry = cls(user_id, book_id, status, now, now)
        entry.events.append(BookShelved(user_id, book_id, status, now))
        return entry

    def move_to(self, status: ShelfStatus, *, now: datetime) -> None:
        """Any status may follow any other: a finished book may be read again."""
        if status is not self.status:
            self.events.append(ShelfStatusChanged(self.user_id, self.book_id, self.status, status, now))
            self.status = status
            self.updated_at = now

    def touch(self, *, now: datetime) -> None:
        """The reader rated or reviewed the book from the shelf."""
        self.updated_at = now

    @property
    def is_completed(self) -> bool:
        return self.status is ShelfStatus.COMPLETED

"""The reading shelf: which books a reader wants, reads and has finished."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.errors import Conflict


class ShelfStatus(StrEnum):
    WISHLIST = "WISHLIST"
    READING = "READING"
    COMPLETED = "COMPLETED"


class AlreadyOnShelf(Conflict):
    code = "already-on-shelf"
    title = "Book already on the shelf"


@dataclass(eq=False, slots=True)
class ShelfEntry:
    """One book on one reader's shelf; the wishlist is the entries with status WISHLIST."""

    user_id: UUID
    book_id: UUID
    status: ShelfStatus
    date_added: datetime
    updated_at: datetime

    @classmethod
    def place(cls, user_id: UUID, book_id: UUID, status: ShelfStatus, *, now: datetime) -> ShelfEntry:
        return cls(user_id, book_id, status, now, now)

    def move_to(self, status: ShelfStatus, *, now: datetime) -> None:
        """Any status may follow any other: a finished book may be read again."""
        if status is not self.status:
            self.status = status
            self.updated_at = now

    def touch(self, *, now: datetime) -> None:
        """The reader rated or reviewed the book from the shelf."""
        self.updated_at = now

    @property
    def is_completed(self) -> bool:
        return self.status is ShelfStatus.COMPLETED

"""Ports of the reading tracker: shelf entries, reviews and what a reader has bought."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain.catalog import Book
from domain.reviews import Review
from domain.shelf import ShelfEntry, ShelfStatus


class ReviewSort(StrEnum):
    NEWEST = "-created_at"
    BEST = "-rating"
    WORST = "rating"


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A live review as readers see it: with its author's username."""

    review: Review
    username: str


@dataclass(frozen=True, slots=True)
class ShelfItem:
    """A shelf entry with its book and the reader's live review of that book, if any."""

    entry: ShelfEntry
    book: Book
    review: Review | None


class ShelfSort(StrEnum):
    UPDATED = "-updated_at"
    TITLE = "title"
    RATING = "-rating"
    ADDED = "-date_added"


class ShelfRepository(Protocol):
    async def get(self, user_id: UUID, book_id: UUID, *, lock: bool = False) -> ShelfEntry | None:
        """The entry with its reads (with `lock`, its row locked until the commit); the unit of work
        dispatches its events at commit."""

    async def get_many(self, user_id: UUID, book_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, ShelfEntry]:
        """The reader's entries of these books (with their reads), by book id; as `get` for each."""

    async def of_read(self, read_id: UUID, *, lock: bool = False) -> ShelfEntry | None:
        """The entry (with its reads) that owns this read."""

    async def add(self, entry: ShelfEntry) -> None:
        """Inserts the entry and its reads; raises AlreadyOnShelf if the book is on that shelf already
        (even by a racing insert)."""

    async def add_many(self, entries: Sequence[ShelfEntry]) -> None:
        """Inserts new entries of distinct books and their reads at once (as `add` each, in fewer statements)."""

    async def update(self, entry: ShelfEntry) -> None:
        """Writes the entry and its reads (added, changed and removed ones). The store refuses a second
        open read of one entry (ReadAlreadyOpen)."""

    async def update_many(self, entries: Sequence[ShelfEntry]) -> None:
        """Writes entries of distinct books as `update` each, in a statement per kind of change."""

    async def mark_owned(self, user_id: UUID, book_ids: Sequence[UUID], *, at: datetime) -> None:
        """The user's entries of these books (those on the shelf) are owned from `at`: one statement."""

    async def delete(self, user_id: UUID, book_id: UUID) -> None:
        """Removes the entry and its reads."""

    async def page(
        self, user_id: UUID, *, status: ShelfStatus | None, sort: ShelfSort, limit: int, offset: int
    ) -> tuple[Sequence[ShelfItem], int]:
        """The reader's entries in `sort` order (`-rating`: by the reader's live review, unrated last), each with
        its book and that review; the entries come without their reads (`reads_loaded` is False)."""


class ReviewRepository(Protocol):
    async def get(self, review_id: UUID) -> Review | None:
        """A live review; deleted ones are kept for audit but not found here."""

    async def get_live(self, user_id: UUID, book_id: UUID) -> Review | None: ...
    async def live_of(self, user_id: UUID, book_ids: Sequence[UUID]) -> dict[UUID, Review]:
        """The reader's live reviews of these books, by book id."""

    async def add(self, review: Review) -> None:
        """Inserts; raises AlreadyReviewed when a live review of that book by that user exists."""

    async def add_many(self, reviews: Sequence[Review]) -> None:
        """Inserts reviews of distinct books at once; as `add` each, AlreadyReviewed if any is refused."""

    async def update(self, review: Review) -> None: ...
    async def update_many(self, reviews: Sequence[Review]) -> None: ...
    async def store_ratings(self, book: Book) -> None:
        """Writes the book's rating figures (and nothing else of the book)."""

    async def store_ratings_of(self, books: Sequence[Book]) -> None:
        """As `store_ratings` for each book, in one statement."""

    async def of_book(
        self, book_id: UUID, *, sort: ReviewSort, limit: int, offset: int
    ) -> tuple[Sequence[ReviewItem], int]: ...
    async def of_user(self, user_id: UUID, *, limit: int, offset: int) -> tuple[Sequence[ReviewItem], int]:
        """The user's live reviews of books that still exist, newest first."""

    async def count_of_user(self, user_id: UUID) -> int: ...


class PurchaseHistory(Protocol):
    async def has_bought(self, user_id: UUID, book_id: UUID) -> bool:
        """True when a CONFIRMED order of this user holds this book."""

    async def bought_of(self, user_id: UUID, book_ids: Sequence[UUID]) -> set[UUID]:
        """Which of these books the user has bought (as `has_bought` each, in one read)."""

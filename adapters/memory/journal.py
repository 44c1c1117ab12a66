"""In-memory goals and journal figures: fakes for use-case tests and the contract suites."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from application.ports.journal import TOP_AUTHORS, Period, ReadingStats
from domain.catalog import Book
from domain.journal import Goal, Read
from domain.reviews import Review
from domain.shelf import ShelfEntry

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


class MemoryGoalRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[tuple[UUID, int], Goal] = uow.table("goals")

    async def get(self, user_id: UUID, year: int) -> Goal | None:
        goal = self._rows.get((user_id, year))
        return None if goal is None else copy.deepcopy(goal)

    async def put(self, goal: Goal) -> None:
        stored = copy.deepcopy(goal)
        stored.events = []
        self._rows[(goal.user_id, goal.year)] = stored

    async def delete(self, user_id: UUID, year: int) -> bool:
        return self._rows.pop((user_id, year), None) is not None


def _within(day: date | None, period: Period) -> bool:
    if day is None:
        return False
    return period.start is None or period.end is None or period.start <= day < period.end


class MemoryJournalQueries:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._entries: dict[tuple[UUID, UUID], ShelfEntry] = uow.table("shelf_entries")
        self._books: dict[UUID, Book] = uow.table("books")
        self._reviews: dict[UUID, Review] = uow.table("reviews")

    def _reads(self, user_id: UUID) -> list[Read]:
        return [
            read
            for (owner, book_id), entry in self._entries.items()
            if owner == user_id and book_id in self._books
            for read in entry.reads
        ]

    def _finished(self, user_id: UUID, period: Period) -> list[Read]:
        all_time = period.start is None or period.end is None
        return [
            read
            for read in self._reads(user_id)
            if _within(read.finished_on, period) or (all_time and read.finished_undated)
        ]

    async def finished_count(self, user_id: UUID, period: Period) -> int:
        return len(self._finished(user_id, period))

    async def finished_books(self, user_id: UUID, period: Period) -> list[Book]:
        last: dict[UUID, date] = {}
        for read in self._finished(user_id, period):
            day = read.finished_on or date.min  # undated: after the dated ones
            last[read.book_id] = max(last.get(read.book_id, day), day)
        order = sorted(last, key=lambda book_id: (-last[book_id].toordinal(), str(book_id)))
        return [copy.deepcopy(self._books[book_id]) for book_id in order]

    async def stats(self, user_id: UUID, period: Period, *, year: int | None) -> ReadingStats:
        finished = self._finished(user_id, period)
        books = [self._books[read.book_id] for read in finished]
        finished_ids = {read.book_id for read in finished}
        ratings = [
            r.rating for r in self._reviews.values() if r.is_live and r.user_id == user_id and r.book_id in finished_ids
        ]
        genres = Counter(book.genre.name for book in books if book.genre is not None)
        authors = Counter(book.author for book in books)
        by_month = None
        if year is not None:
            months = Counter(read.finished_on.month for read in finished if read.finished_on is not None)
            by_month = {f"{m:02d}": months[m] for m in range(1, 13)}
        return ReadingStats(
            year=year,
            books_finished=len(finished),
            pages_finished=sum(book.pages or 0 for book in books),
            average_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
            by_month=by_month,
            by_genre=sorted(genres.items(), key=lambda g: (-g[1], g[0])),
            top_authors=sorted(authors.items(), key=lambda a: (-a[1], a[0]))[:TOP_AUTHORS],
            did_not_finish=sum(1 for read in self._reads(user_id) if _within(read.stopped_on, period)),
        )

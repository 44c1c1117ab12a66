"""Ports of the reading journal: yearly goals and the figures computed from a reader's reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol
from uuid import UUID

from domain.catalog import Book
from domain.journal import Goal


@dataclass(frozen=True, slots=True)
class Period:
    """Days `start` to `end` (exclusive) of the reads counted; both None: all time."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def year(cls, year: int | None) -> Period:
        return cls() if year is None else cls(date(year, 1, 1), date(year + 1, 1, 1))


@dataclass(frozen=True, slots=True)
class ReadingStats:
    """A reader's figures over a period; `by_month` (keys "01".."12") only for a year."""

    year: int | None
    books_finished: int
    pages_finished: int
    average_rating: float | None
    by_month: dict[str, int] | None
    by_genre: list[tuple[str, int]]
    top_authors: list[tuple[str, int]]
    did_not_finish: int


#: Authors listed in the stats, most read first.
TOP_AUTHORS = 10


class GoalRepository(Protocol):
    async def get(self, user_id: UUID, year: int) -> Goal | None: ...
    async def put(self, goal: Goal) -> None:
        """Inserts or replaces the reader's goal for that year."""

    async def delete(self, user_id: UUID, year: int) -> bool:
        """False when there was none."""


class JournalQueries(Protocol):
    """Aggregates over a reader's reads, computed by the store (not by loading the reads)."""

    async def finished_count(self, user_id: UUID, period: Period) -> int:
        """Reads finished in the period."""

    async def finished_books(self, user_id: UUID, period: Period) -> list[Book]:
        """The books of those reads, each once, the last finished first."""

    async def stats(self, user_id: UUID, period: Period, *, year: int | None) -> ReadingStats:
        """Finished reads (count, pages of their books, by month, genre and author), the reader's average
        live rating of the books finished, and the reads stopped (did not finish) in the period."""

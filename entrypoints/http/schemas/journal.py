"""The reading journal's bodies: reads, progress, goals and the reader's stats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from application.journal.goals import GoalView
from application.ports.journal import ReadingStats
from domain.journal import GOAL_MAX, GOAL_MIN, MAX_PAGES, Progress, Read
from entrypoints.http.schemas.catalog import BookOut

Page = Annotated[int, msgspec.Meta(ge=0, le=MAX_PAGES, description="The page reached (at most the book's pages)")]
Percent = Annotated[float, msgspec.Meta(ge=0, le=100, description="How far through the book, 0 to 100")]
Target = Annotated[int, msgspec.Meta(ge=GOAL_MIN, le=GOAL_MAX, description="Books to finish in the year")]


class ProgressOut(msgspec.Struct):
    page: int | None
    percent: float | None
    updated_at: datetime

    @classmethod
    def of(cls, progress: Progress | None) -> ProgressOut | None:
        return None if progress is None else cls(progress.page, progress.percent, progress.updated_at)


class ReadOut(msgspec.Struct):
    """One time through a book: open until finished or stopped."""

    id: UUID
    book_id: UUID
    started_on: date | None
    finished_on: date | None
    stopped_on: date | None
    progress: ProgressOut | None
    finished: Annotated[
        bool, msgspec.Meta(description="finished, even on a day nobody knows (`finished_on` null: an imported read)")
    ]

    @classmethod
    def of(cls, read: Read) -> ReadOut:
        return cls(
            read.id,
            read.book_id,
            read.started_on,
            read.finished_on,
            read.stopped_on,
            ProgressOut.of(read.progress),
            read.is_finished,
        )


class ReadPage(msgspec.Struct):
    """A page of reads: `{items, total, limit, offset}`."""

    items: list[ReadOut]
    total: int
    limit: int
    offset: int


class ReadIn(msgspec.Struct):
    """A past read (with `finished_on`) or a re-read (open, started today unless `started_on` says)."""

    started_on: date | None = None
    finished_on: date | None = None


class ReadPatchIn(msgspec.Struct):
    """Only the dates sent change; `null` clears one (clearing an end reopens the read)."""

    started_on: date | msgspec.UnsetType | None = msgspec.UNSET
    finished_on: date | msgspec.UnsetType | None = msgspec.UNSET
    stopped_on: date | msgspec.UnsetType | None = msgspec.UNSET

    def sent(self) -> frozenset[str]:
        return frozenset(name for name in self.__struct_fields__ if getattr(self, name) is not msgspec.UNSET)

    def value(self, name: str) -> date | None:
        value = getattr(self, name)
        return None if value is msgspec.UNSET else value


class ProgressIn(msgspec.Struct):
    """Either `page` or `percent`."""

    page: Page | None = None
    percent: Percent | None = None


class GoalIn(msgspec.Struct):
    target: Target


class GoalOut(msgspec.Struct):
    year: int
    target: int
    completed: int
    expected_by_today: int
    on_track: bool
    books: list[BookOut]

    @classmethod
    def of(cls, view: GoalView) -> GoalOut:
        standing = view.standing
        return cls(
            standing.goal.year,
            standing.goal.target,
            standing.completed,
            standing.expected_by_today,
            standing.on_track,
            [BookOut.of(book) for book in view.books],
        )


class GenreCountOut(msgspec.Struct):
    genre: str
    count: int


class AuthorCountOut(msgspec.Struct):
    author: str
    count: int


class StatsOut(msgspec.Struct, omit_defaults=True):
    """A year's figures (all time without `year`, and then no `by_month`)."""

    year: int | None
    books_finished: int
    pages_finished: int
    average_rating: float | None
    by_genre: list[GenreCountOut]
    top_authors: list[AuthorCountOut]
    did_not_finish: int
    by_month: dict[str, int] | msgspec.UnsetType = msgspec.UNSET

    @classmethod
    def of(cls, stats: ReadingStats) -> StatsOut:
        return cls(
            year=stats.year,
            books_finished=stats.books_finished,
            pages_finished=stats.pages_finished,
            average_rating=stats.average_rating,
            by_genre=[GenreCountOut(name, n) for name, n in stats.by_genre],
            top_authors=[AuthorCountOut(name, n) for name, n in stats.top_authors],
            did_not_finish=stats.did_not_finish,
            by_month=msgspec.UNSET if stats.by_month is None else stats.by_month,
        )

"""Goals and the reading journal's figures, on SQLAlchemy Core: aggregates computed by the database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Float, Integer, String, cast, delete, extract, func, literal, null, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.catalog import BOOK_WITH_GENRE, to_book
from adapters.sql.tables import books, genres, goals, reads, reviews, users
from application.ports.journal import TOP_AUTHORS, Period, ReadingStats
from domain.catalog import Book
from domain.journal import Goal


def _to_goal(row: RowMapping) -> Goal:
    return Goal(row["user_id"], row["year"], row["target"], row["created_at"], row["updated_at"])


class SqlGoalRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, user_id: UUID, year: int) -> Goal | None:
        query = select(goals).where(goals.c.user_id == user_id, goals.c.year == year)
        row = (await self._conn.execute(query)).mappings().first()
        return None if row is None else _to_goal(row)

    async def put(self, goal: Goal) -> None:
        values = {
            "user_id": goal.user_id,
            "year": goal.year,
            "target": goal.target,
            "created_at": goal.created_at,
            "updated_at": goal.updated_at,
        }
        insert = pg_insert if self._conn.dialect.name == "postgresql" else sqlite_insert
        statement = insert(goals).values(values)
        changed = {"target": statement.excluded.target, "updated_at": statement.excluded.updated_at}
        await self._conn.execute(statement.on_conflict_do_update(index_elements=["user_id", "year"], set_=changed))

    async def delete(self, user_id: UUID, year: int) -> bool:
        result = await self._conn.execute(delete(goals).where(goals.c.user_id == user_id, goals.c.year == year))
        return bool(result.rowcount)


def _ended(column: Any, user_id: UUID, period: Period) -> list[Any]:
    """Reads of the user whose `column` (finished_on or stopped_on) falls in the period: an index range.
    All time, the finished reads include the undated ones (which no period of days holds)."""
    if period.start is not None and period.end is not None:
        return [reads.c.user_id == user_id, column >= period.start, column < period.end]
    if column is reads.c.finished_on:
        return [reads.c.user_id == user_id, column.is_not(None) | reads.c.finished_undated]
    return [reads.c.user_id == user_id, column.is_not(None)]


class SqlJournalQueries:
    """One statement per answer; the reads are ranged on ix_reads_user_finished / ix_reads_user_stopped."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def finished_count(self, user_id: UUID, period: Period) -> int:
        query = select(func.count()).select_from(reads).where(*_ended(reads.c.finished_on, user_id, period))
        return int((await self._conn.execute(query)).scalar_one())

    async def finished_books(self, user_id: UUID, period: Period) -> list[Book]:
        last = (
            select(reads.c.book_id, func.max(reads.c.finished_on).label("last"))
            .where(*_ended(reads.c.finished_on, user_id, period))
            .group_by(reads.c.book_id)
            .subquery("last")
        )
        query = (
            select(*BOOK_WITH_GENRE)
            .select_from(
                last.join(books, books.c.id == last.c.book_id)
                .outerjoin(genres, genres.c.id == books.c.genre_id)
                .outerjoin(users, users.c.id == books.c.added_by)
            )
            .order_by(last.c.last.desc().nulls_last(), books.c.id)
        )
        return [to_book(row) for row in (await self._conn.execute(query)).mappings()]

    async def stats(self, user_id: UUID, period: Period, *, year: int | None) -> ReadingStats:
        # Every figure is a row (kind, label, n, amount) of one UNION ALL over the finished reads: one round trip.
        # Each finished read with its book's figures and the reader's live rating of it (by index, per read).
        rated = (reviews.c.user_id == reads.c.user_id) & (reviews.c.book_id == reads.c.book_id)
        finished = (
            select(
                reads.c.book_id, reads.c.finished_on, books.c.pages, books.c.author, books.c.genre_id, reviews.c.rating
            )
            .join(books, books.c.id == reads.c.book_id)
            .outerjoin(reviews, rated & reviews.c.deleted_at.is_(None))
            .where(*_ended(reads.c.finished_on, user_id, period))
            .cte("finished")
        )
        ratings = (
            select(finished.c.book_id, finished.c.rating)
            .where(finished.c.rating.is_not(None))
            .distinct()
            .subquery("ratings")
        )
        no_label = cast(null(), String)
        no_amount = cast(null(), Float)
        authors = (
            select(literal("author", String).label("kind"), finished.c.author, func.count().label("n"), no_amount)
            .group_by(finished.c.author)
            .order_by(func.count().desc(), finished.c.author)
            .limit(TOP_AUTHORS)
            .subquery("authors")
        )
        parts = [
            select(
                literal("total", String),
                no_label,
                func.count(),
                cast(func.coalesce(func.sum(finished.c.pages), 0), Float),
            ),
            select(literal("genre", String), genres.c.name, func.count(), no_amount)
            .select_from(finished.join(genres, genres.c.id == finished.c.genre_id))
            .group_by(genres.c.name),
            select(*authors.c),
            select(literal("dnf", String), no_label, func.count(), no_amount)
            .select_from(reads)
            .where(*_ended(reads.c.stopped_on, user_id, period)),
            select(literal("rating", String), no_label, func.count(), cast(func.avg(ratings.c.rating), Float)),
        ]
        if year is not None:
            month = cast(extract("month", finished.c.finished_on), Integer)
            parts.append(select(literal("month", String), no_label, func.count(), cast(month, Float)).group_by(month))
        rows = (await self._conn.execute(parts[0].union_all(*parts[1:]))).all()
        return _stats(year, rows)


def _stats(year: int | None, rows: Sequence[Any]) -> ReadingStats:
    """Folds the (kind, label, n, amount) rows into the figures."""
    figures: dict[str, tuple[int, float | None]] = {}
    genre_counts: list[tuple[str, int]] = []
    author_counts: list[tuple[str, int]] = []
    by_month = None if year is None else {f"{m:02d}": 0 for m in range(1, 13)}
    for kind, label, n, amount in rows:
        if kind == "genre":
            genre_counts.append((label, n))
        elif kind == "author":
            author_counts.append((label, n))
        elif kind == "month" and by_month is not None:
            by_month[f"{int(amount):02d}"] = n
        else:
            figures[kind] = (n, amount)
    books_finished, pages = figures["total"]
    _, average = figures["rating"]
    return ReadingStats(
        year=year,
        books_finished=books_finished,
        pages_finished=int(pages or 0),
        average_rating=None if average is None else round(average, 2),
        by_month=by_month,
        by_genre=sorted(genre_counts, key=lambda g: (-g[1], g[0])),
        top_authors=sorted(author_counts, key=lambda a: (-a[1], a[0])),
        did_not_finish=figures["dnf"][0],
    )

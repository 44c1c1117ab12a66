"""Reviews and the rating figures they keep on `books`, on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Integer, Numeric, Uuid, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.arrays import probed
from adapters.sql.catalog import rating_values
from adapters.sql.copy_encoder import insert_rows
from adapters.sql.tables import books, reviews, users
from application.ports.shelf import ReviewItem, ReviewSort
from domain.catalog import Book
from domain.reviews import AlreadyReviewed, Review

_LIVE = reviews.c.deleted_at.is_(None)
_ORDER = {
    ReviewSort.NEWEST: (reviews.c.created_at.desc(), reviews.c.id),
    ReviewSort.BEST: (reviews.c.rating.desc(), reviews.c.created_at.desc(), reviews.c.id),
    ReviewSort.WORST: (reviews.c.rating.asc(), reviews.c.created_at.desc(), reviews.c.id),
}


def to_review(row: RowMapping) -> Review:
    return Review(
        id=row["id"],
        book_id=row["book_id"],
        user_id=row["user_id"],
        rating=row["rating"],
        text=row["text"],
        verified_purchase=row["verified_purchase"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deleted_at=row["deleted_at"],
    )


_FIGURES = ("rating_1", "rating_2", "rating_3", "rating_4", "rating_5", "review_count", "average_rating")
#: Many books' rating figures in one statement on PostgreSQL: an array per column, unnested side by side
#: (a statement per book fired the books' statement-level triggers once per book). The rows are the
#: ones the caller locked first, in id order; the update only writes them.
_STORE_RATINGS = text(
    "UPDATE books SET "
    + ", ".join(f"{name} = v.{name}" for name in _FIGURES)
    + " FROM unnest(:ids, "
    + ", ".join(f":{name}" for name in _FIGURES)
    + ") AS v(id, "
    + ", ".join(_FIGURES)
    + ") WHERE books.id = v.id"
).bindparams(
    bindparam("ids", type_=ARRAY(Uuid())),
    *(bindparam(name, type_=ARRAY(Integer())) for name in _FIGURES[:-1]),
    bindparam("average_rating", type_=ARRAY(Numeric(3, 2))),
)


def _values(review: Review) -> dict[str, Any]:
    return {
        "rating": review.rating,
        "text": review.text,
        "updated_at": review.updated_at,
        "deleted_at": review.deleted_at,
    }


class SqlReviewRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _one(self, *where: Any) -> Review | None:
        row = (await self._conn.execute(select(reviews).where(_LIVE, *where))).mappings().first()
        return None if row is None else to_review(row)

    async def get(self, review_id: UUID) -> Review | None:
        return await self._one(reviews.c.id == review_id)

    async def get_live(self, user_id: UUID, book_id: UUID) -> Review | None:
        return await self._one(reviews.c.user_id == user_id, reviews.c.book_id == book_id)

    async def live_of(self, user_id: UUID, book_ids: Sequence[UUID]) -> dict[UUID, Review]:
        if not book_ids:
            return {}
        live = select(reviews).where(_LIVE, reviews.c.user_id == user_id)
        query, params = probed(self._conn, live, reviews.c.book_id, book_ids, "book_ids", item=Uuid())
        return {row["book_id"]: to_review(row) for row in (await self._conn.execute(query, params)).mappings()}

    async def add(self, review: Review) -> None:
        await self.add_many([review])

    async def add_many(self, new: Sequence[Review]) -> None:
        if not new:
            return
        rows = [
            _values(review)
            | {
                "id": review.id,
                "book_id": review.book_id,
                "user_id": review.user_id,
                "verified_purchase": review.verified_purchase,
                "created_at": review.created_at,
            }
            for review in new
        ]
        try:
            async with self._conn.begin_nested():
                await insert_rows(self._conn, reviews, rows)
        except IntegrityError:
            # The partial unique index on live reviews refused a second one (a racing writer).
            raise AlreadyReviewed("you have reviewed this book already") from None

    async def update(self, review: Review) -> None:
        await self.update_many([review])

    async def update_many(self, changed: Sequence[Review]) -> None:
        if changed:
            statement = update(reviews).where(reviews.c.id == bindparam("k_id"))
            await self._conn.execute(statement, [_values(review) | {"k_id": review.id} for review in changed])

    async def store_ratings(self, book: Book) -> None:
        await self.store_ratings_of([book])

    async def store_ratings_of(self, rated: Sequence[Book]) -> None:
        if rated and self._conn.dialect.name == "postgresql":
            figures = [rating_values(book) for book in rated]
            columns = {name: [values[name] for values in figures] for name in _FIGURES}
            await self._conn.execute(_STORE_RATINGS, {"ids": [book.id for book in rated], **columns})
        elif rated:  # SQLite: one executemany
            statement = update(books).where(books.c.id == bindparam("k_id"))
            await self._conn.execute(statement, [rating_values(book) | {"k_id": book.id} for book in rated])

    async def _page(
        self, where: Sequence[Any], order: Sequence[Any], limit: int, offset: int
    ) -> tuple[list[ReviewItem], int]:
        # Inner joins: reviews of a deleted book or user are gone (cascade), none is left dangling.
        joined = reviews.join(users, users.c.id == reviews.c.user_id).join(books, books.c.id == reviews.c.book_id)
        total = (await self._conn.execute(select(func.count()).select_from(joined).where(_LIVE, *where))).scalar_one()
        query = (
            select(reviews, users.c.username)
            .select_from(joined)
            .where(_LIVE, *where)
            .order_by(*order)
            .limit(limit)
            .offset(offset)
        )
        rows = (await self._conn.execute(query)).mappings().all()
        return [ReviewItem(to_review(row), row["username"]) for row in rows], total

    async def of_book(
        self, book_id: UUID, *, sort: ReviewSort, limit: int, offset: int
    ) -> tuple[Sequence[ReviewItem], int]:
        return await self._page([reviews.c.book_id == book_id], _ORDER[sort], limit, offset)

    async def of_user(self, user_id: UUID, *, limit: int, offset: int) -> tuple[Sequence[ReviewItem], int]:
        return await self._page([reviews.c.user_id == user_id], _ORDER[ReviewSort.NEWEST], limit, offset)

    async def count_of_user(self, user_id: UUID) -> int:
        query = select(func.count()).select_from(reviews).where(_LIVE, reviews.c.user_id == user_id)
        return (await self._conn.execute(query)).scalar_one()

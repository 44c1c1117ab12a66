"""Activity entries and review versions on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.copy_encoder import insert_rows
from adapters.sql.tables import activity, books, review_versions
from application.ports.activity import ActivityItem, BookRef
from domain.activity import Activity, ActivityKind
from domain.ids import uuid7
from domain.reviews import ReviewVersion


class SqlActivityRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, entry: Activity) -> None:
        await self.add_many([entry])

    async def add_many(self, entries: Sequence[Activity]) -> None:
        if not entries:
            return
        values = [
            {
                "id": entry.id,
                "user_id": entry.user_id,
                "kind": entry.kind.value,
                "at": entry.at,
                "book_id": entry.book_id,
                "detail": entry.detail,
            }
            for entry in entries
        ]
        await insert_rows(self._conn, activity, values)

    async def page(
        self, user_id: UUID, *, kind: ActivityKind | None, limit: int, offset: int
    ) -> tuple[Sequence[ActivityItem], int]:
        where: list[ColumnElement[bool]] = [activity.c.user_id == user_id]
        if kind is not None:
            where.append(activity.c.kind == kind.value)
        total = (await self._conn.execute(select(func.count()).select_from(activity).where(*where))).scalar_one()
        query = (
            select(activity, books.c.title, books.c.author)
            .outerjoin(books, books.c.id == activity.c.book_id)
            .where(*where)
            .order_by(activity.c.at.desc(), activity.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        items = []
        for row in (await self._conn.execute(query)).mappings():
            entry = Activity(
                row["id"], row["user_id"], ActivityKind(row["kind"]), row["at"], row["book_id"], row["detail"]
            )
            book = None if row["title"] is None else BookRef(row["book_id"], row["title"], row["author"])
            items.append(ActivityItem(entry, book))
        return items, total


class SqlReviewHistory:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, version: ReviewVersion) -> None:
        await self.add_many([version])

    async def add_many(self, versions: Sequence[ReviewVersion]) -> None:
        if not versions:
            return
        values = [
            {
                "id": uuid7(),
                "review_id": version.review_id,
                "rating": version.rating,
                "text": version.text,
                "replaced_at": version.replaced_at,
            }
            for version in versions
        ]
        await insert_rows(self._conn, review_versions, values)

    async def of_review(self, review_id: UUID) -> list[ReviewVersion]:
        query = (
            select(review_versions)
            .where(review_versions.c.review_id == review_id)
            .order_by(review_versions.c.replaced_at, review_versions.c.id)
        )
        rows = (await self._conn.execute(query)).mappings()
        return [ReviewVersion(row["review_id"], row["rating"], row["text"], row["replaced_at"]) for row in rows]

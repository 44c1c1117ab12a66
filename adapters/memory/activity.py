"""In-memory activity entries and review versions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from application.ports.activity import ActivityItem, BookRef
from domain.activity import Activity, ActivityKind
from domain.catalog import Book
from domain.reviews import ReviewVersion

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


class MemoryActivityRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[UUID, Activity] = uow.table("activity")
        self._books: dict[UUID, Book] = uow.table("books")
        self._users: dict[UUID, Any] = uow.table("users")

    async def add(self, entry: Activity) -> None:
        self._rows[entry.id] = entry  # frozen: nothing to copy

    async def add_many(self, entries: Sequence[Activity]) -> None:
        for entry in entries:
            await self.add(entry)

    async def page(
        self, user_id: UUID, *, kind: ActivityKind | None, limit: int, offset: int
    ) -> tuple[Sequence[ActivityItem], int]:
        if user_id not in self._users:  # an erased account takes its entries with it, as the FK does
            return [], 0
        found = [e for e in self._rows.values() if e.user_id == user_id and (kind is None or e.kind is kind)]
        found.sort(key=lambda e: (e.at, e.id), reverse=True)
        return [ActivityItem(e, self._book(e.book_id)) for e in found[offset : offset + limit]], len(found)

    def _book(self, book_id: UUID | None) -> BookRef | None:
        book = None if book_id is None else self._books.get(book_id)
        return None if book is None else BookRef(book.id, book.title, book.author)


class MemoryReviewHistory:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: list[ReviewVersion] = uow.tables.setdefault("review_versions", {}).setdefault("rows", [])

    async def add(self, version: ReviewVersion) -> None:
        self._rows.append(version)

    async def add_many(self, versions: Sequence[ReviewVersion]) -> None:
        self._rows.extend(versions)

    async def of_review(self, review_id: UUID) -> list[ReviewVersion]:
        return sorted((v for v in self._rows if v.review_id == review_id), key=lambda v: v.replaced_at)

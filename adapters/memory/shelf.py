"""In-memory shelf, reviews and purchase history: fakes for use-case tests and the contract suites."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.memory.catalog import stored_row
from application.ports.shelf import ReviewItem, ReviewSort
from domain.catalog import Book
from domain.reviews import AlreadyReviewed, Review
from domain.shelf import AlreadyOnShelf, ShelfEntry, ShelfStatus

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork

_SORT_KEYS: dict[ReviewSort, Callable[[Review], Any]] = {
    ReviewSort.NEWEST: lambda r: (-r.created_at.timestamp(), str(r.id)),
    ReviewSort.BEST: lambda r: (-r.rating, -r.created_at.timestamp(), str(r.id)),
    ReviewSort.WORST: lambda r: (r.rating, -r.created_at.timestamp(), str(r.id)),
}


class MemoryShelfRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[tuple[UUID, UUID], ShelfEntry] = uow.table("shelf_entries")
        self._books: dict[UUID, Book] = uow.table("books")

    def _exists(self, entry: ShelfEntry) -> bool:
        return entry.book_id in self._books  # a deleted book takes its entries with it, as the FK does

    async def get(self, user_id: UUID, book_id: UUID) -> ShelfEntry | None:
        entry = self._rows.get((user_id, book_id))
        return copy.deepcopy(entry) if entry is not None and self._exists(entry) else None

    async def add(self, entry: ShelfEntry) -> None:
        if await self.get(entry.user_id, entry.book_id) is not None:
            raise AlreadyOnShelf("this book is on your shelf already")
        self._rows[(entry.user_id, entry.book_id)] = stored_row(entry)

    async def update(self, entry: ShelfEntry) -> None:
        self._rows[(entry.user_id, entry.book_id)] = stored_row(entry)

    async def delete(self, user_id: UUID, book_id: UUID) -> None:
        self._rows.pop((user_id, book_id), None)

    async def page(
        self, user_id: UUID, *, status: ShelfStatus | None, limit: int, offset: int
    ) -> tuple[Sequence[ShelfEntry], int]:
        found = [
            e
            for e in self._rows.values()
            if e.user_id == user_id and self._exists(e) and (status is None or e.status is status)
        ]
        found.sort(key=lambda e: (-e.date_added.timestamp(), str(e.book_id)))
        return [copy.deepcopy(e) for e in found[offset : offset + limit]], len(found)


class MemoryReviewRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[UUID, Review] = uow.table("reviews")
        self._books: dict[UUID, Book] = uow.table("books")
        self._users: dict[UUID, Any] = uow.table("users")

    def _live(self) -> list[Review]:
        return [r for r in self._rows.values() if r.is_live and r.book_id in self._books and r.user_id in self._users]

    async def get(self, review_id: UUID) -> Review | None:
        return next((copy.deepcopy(r) for r in self._live() if r.id == review_id), None)

    async def get_live(self, user_id: UUID, book_id: UUID) -> Review | None:
        return next((copy.deepcopy(r) for r in self._live() if (r.user_id, r.book_id) == (user_id, book_id)), None)

    async def live_of(self, user_id: UUID, book_ids: Sequence[UUID]) -> dict[UUID, Review]:
        wanted = set(book_ids)
        return {r.book_id: copy.deepcopy(r) for r in self._live() if r.user_id == user_id and r.book_id in wanted}

    async def add(self, review: Review) -> None:
        if review.is_live and await self.get_live(review.user_id, review.book_id) is not None:
            raise AlreadyReviewed("you have reviewed this book already")
        self._rows[review.id] = stored_row(review)

    async def update(self, review: Review) -> None:
        self._rows[review.id] = stored_row(review)

    async def store_ratings(self, book: Book) -> None:
        stored = self._books.get(book.id)
        if stored is not None:
            stored.rating_counts = book.rating_counts

    def _page(self, found: list[Review], sort: ReviewSort, limit: int, offset: int) -> tuple[list[ReviewItem], int]:
        found.sort(key=_SORT_KEYS[sort])
        items = [ReviewItem(copy.deepcopy(r), self._users[r.user_id].username) for r in found[offset : offset + limit]]
        return items, len(found)

    async def of_book(
        self, book_id: UUID, *, sort: ReviewSort, limit: int, offset: int
    ) -> tuple[Sequence[ReviewItem], int]:
        return self._page([r for r in self._live() if r.book_id == book_id], sort, limit, offset)

    async def of_user(self, user_id: UUID, *, limit: int, offset: int) -> tuple[Sequence[ReviewItem], int]:
        return self._page([r for r in self._live() if r.user_id == user_id], ReviewSort.NEWEST, limit, offset)

    async def count_of_user(self, user_id: UUID) -> int:
        return sum(1 for r in self._live() if r.user_id == user_id)


class MemoryPurchaseHistory:
    """Purchases as (user, book) pairs; `record` stands in for a confirmed order in tests."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[tuple[UUID, UUID], bool] = uow.table("purchases")

    def record(self, user_id: UUID, book_id: UUID) -> None:
        self._rows[(user_id, book_id)] = True

    async def has_bought(self, user_id: UUID, book_id: UUID) -> bool:
        return self._rows.get((user_id, book_id), False)

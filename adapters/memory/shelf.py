"""In-memory shelf, reviews and purchase history: fakes for use-case tests and the contract suites."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from adapters.memory.catalog import stored_row
from application.ports.shelf import ReviewItem, ReviewSort, ShelfItem, ShelfSort
from domain.catalog import Book
from domain.commerce import Order, OrderStatus
from domain.journal import ReadAlreadyOpen
from domain.reviews import AlreadyReviewed, Review
from domain.shelf import AlreadyOnShelf, ShelfEntry, ShelfStatus

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork

_SORT_KEYS: dict[ReviewSort, Callable[[Review], Any]] = {
    ReviewSort.NEWEST: lambda r: (-r.created_at.timestamp(), str(r.id)),
    ReviewSort.BEST: lambda r: (-r.rating, -r.created_at.timestamp(), str(r.id)),
    ReviewSort.WORST: lambda r: (r.rating, -r.created_at.timestamp(), str(r.id)),
}


_SHELF_KEYS: dict[ShelfSort, Callable[[ShelfEntry, Book, Review | None], Any]] = {
    ShelfSort.UPDATED: lambda e, b, r: (-e.updated_at.timestamp(), str(e.book_id)),
    ShelfSort.ADDED: lambda e, b, r: (-e.date_added.timestamp(), str(e.book_id)),
    ShelfSort.TITLE: lambda e, b, r: (b.title.lower(), b.author.lower(), str(e.book_id)),
    ShelfSort.RATING: lambda e, b, r: (r is None, -(r.rating if r else 0), -e.updated_at.timestamp(), str(e.book_id)),
}


class MemoryShelfRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._rows: dict[tuple[UUID, UUID], ShelfEntry] = uow.table("shelf_entries")
        self._books: dict[UUID, Book] = uow.table("books")
        self._reviews: dict[UUID, Review] = uow.table("reviews")

    def _exists(self, entry: ShelfEntry) -> bool:
        return entry.book_id in self._books  # a deleted book takes its entries with it, as the FK does

    async def get(self, user_id: UUID, book_id: UUID, *, lock: bool = False) -> ShelfEntry | None:
        entry = self._rows.get((user_id, book_id))
        if entry is None or not self._exists(entry):
            return None
        found = copy.deepcopy(entry)
        self._uow.track(found)
        return found

    async def get_many(self, user_id: UUID, book_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, ShelfEntry]:
        found = {}
        for book_id in sorted(set(book_ids)):
            entry = await self.get(user_id, book_id, lock=lock)
            if entry is not None:
                found[book_id] = entry
        return found

    async def of_read(self, read_id: UUID, *, lock: bool = False) -> ShelfEntry | None:
        for key, entry in self._rows.items():
            if any(read.id == read_id for read in entry.reads):
                return await self.get(*key)
        return None

    async def add(self, entry: ShelfEntry) -> None:
        if await self.get(entry.user_id, entry.book_id) is not None:
            raise AlreadyOnShelf("this book is on your shelf already")
        self._uow.track(entry)
        await self.update(entry)

    async def add_many(self, entries: Sequence[ShelfEntry]) -> None:
        for entry in entries:
            if await self.get(entry.user_id, entry.book_id) is not None:
                raise AlreadyOnShelf("one of these books is on your shelf already")
        for entry in entries:
            await self.add(entry)

    async def update(self, entry: ShelfEntry) -> None:
        if not entry.reads_loaded:
            raise RuntimeError("a listed entry is not written back")
        if sum(1 for read in entry.reads if read.is_open) > 1:  # as the unique index on open reads refuses
            raise ReadAlreadyOpen("another read of this book was opened meanwhile")
        self._rows[(entry.user_id, entry.book_id)] = stored_row(entry)

    async def update_many(self, entries: Sequence[ShelfEntry]) -> None:
        for entry in entries:
            await self.update(entry)

    async def mark_owned(self, user_id: UUID, book_ids: Sequence[UUID], *, at: datetime) -> None:
        for book_id in book_ids:
            stored = self._rows.get((user_id, book_id))
            if stored is not None and not stored.owned:
                entry = stored_row(stored)
                entry.mark_owned(now=at)
                self._rows[(user_id, book_id)] = entry

    async def delete(self, user_id: UUID, book_id: UUID) -> None:
        self._rows.pop((user_id, book_id), None)

    async def page(
        self, user_id: UUID, *, status: ShelfStatus | None, sort: ShelfSort, limit: int, offset: int
    ) -> tuple[Sequence[ShelfItem], int]:
        found = [
            e
            for e in self._rows.values()
            if e.user_id == user_id and self._exists(e) and (status is None or e.status is status)
        ]
        live = {(r.user_id, r.book_id): r for r in self._reviews.values() if r.is_live}
        found.sort(key=lambda e: _SHELF_KEYS[sort](e, self._books[e.book_id], live.get((e.user_id, e.book_id))))
        listed = []
        for entry in found[offset : offset + limit]:
            copied = stored_row(entry)
            copied.reads, copied.reads_loaded = [], False
            review = live.get((entry.user_id, entry.book_id))
            book = copy.deepcopy(self._books[entry.book_id])
            listed.append(ShelfItem(copied, book, None if review is None else copy.deepcopy(review)))
        return listed, len(found)


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

    async def add_many(self, reviews: Sequence[Review]) -> None:
        for review in reviews:  # refused whole, as the database's constraint refuses the batch
            if review.is_live and await self.get_live(review.user_id, review.book_id) is not None:
                raise AlreadyReviewed("you have reviewed one of these books already")
        for review in reviews:
            await self.add(review)

    async def update(self, review: Review) -> None:
        self._rows[review.id] = stored_row(review)

    async def update_many(self, reviews: Sequence[Review]) -> None:
        for review in reviews:
            await self.update(review)

    async def store_ratings(self, book: Book) -> None:
        stored = self._books.get(book.id)
        if stored is not None:
            stored.rating_counts = book.rating_counts

    async def store_ratings_of(self, books: Sequence[Book]) -> None:
        for book in books:
            await self.store_ratings(book)

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
    """Confirmed orders of the fake store, and (user, book) pairs `record` puts in their place in tests."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[tuple[UUID, UUID], bool] = uow.table("purchases")
        self._orders: dict[UUID, Order] = uow.table("orders")

    def record(self, user_id: UUID, book_id: UUID) -> None:
        self._rows[(user_id, book_id)] = True

    async def bought_of(self, user_id: UUID, book_ids: Sequence[UUID]) -> set[UUID]:
        return {book_id for book_id in set(book_ids) if await self.has_bought(user_id, book_id)}

    async def has_bought(self, user_id: UUID, book_id: UUID) -> bool:
        return self._rows.get((user_id, book_id), False) or any(
            order.user_id == user_id
            and order.status is OrderStatus.CONFIRMED
            and any(line.book_id == book_id for line in order.lines)
            for order in self._orders.values()
        )

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.catalog import Book, InsufficientStock, short_of_stock
from domain.commerce import Order

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


def stored_row[Row](aggregate: Row) -> Row:
    """A copy as a database row would hold it: pending events are not stored (else they fire again)."""
    stored: Any = copy.deepcopy(aggregate)
    if getattr(stored, "events", None):
        stored.events = []
    return stored


class MemoryBookRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._rows: dict[UUID, Book] = uow.table("books")

    async def get(self, book_id: UUID, *, lock: bool = False) -> Book | None:
        found = await self.get_many([book_id])
        return found[0] if found else None

    async def get_many(self, book_ids: Sequence[UUID], *, lock: bool = False) -> list[Book]:
        found = [copy.deepcopy(self._rows[i]) for i in sorted(set(book_ids)) if i in self._rows]
        for book in found:
            self._uow.track(book)
        return found

    async def with_isbns(self, isbns: Sequence[str]) -> list[Book]:
        wanted = set(isbns)
        return [copy.deepcopy(b) for b in self._rows.values() if b.isbn is not None and b.isbn in wanted]

    async def add(self, book: Book) -> None:
        self._rows[book.id] = stored_row(book)
        self._uow.track(book)

    async def add_many(self, books: Sequence[Book]) -> None:
        for book in books:
            await self.add(book)

    async def update(self, book: Book) -> None:
        self._rows[book.id] = stored_row(book)

    async def take_stock(self, quantities: Mapping[UUID, int]) -> dict[UUID, int]:
        left = {}
        for book_id, quantity in sorted(quantities.items()):
            book = self._rows.get(book_id)
            if book is None or book.stock < quantity:
                raise InsufficientStock(short_of_stock(book, quantity))
            book.stock -= quantity
            left[book_id] = book.stock
        return left

    async def delete(self, book_id: UUID) -> None:
        self._rows.pop(book_id, None)

    async def isbn_taken(self, isbn: str, *, exclude: UUID | None = None) -> bool:
        return await self.by_isbn(isbn, exclude=exclude) is not None

    async def by_isbn(self, isbn: str, *, exclude: UUID | None = None) -> Book | None:
        found = [b for b in self._rows.values() if b.isbn == isbn and b.id != exclude]
        return copy.deepcopy(found[0]) if found else None

    async def match_candidates(self, titles: Sequence[str], authors: Sequence[str]) -> list[Book]:
        wanted_titles, wanted_authors = set(titles), set(authors)
        found = [
            b for b in self._rows.values() if b.title.lower() in wanted_titles or b.author.lower() in wanted_authors
        ]
        return [copy.deepcopy(b) for b in sorted(found, key=lambda b: b.id)]

    async def has_orders(self, book_id: UUID) -> bool:
        orders: dict[UUID, Order] = self._uow.table("orders")
        return any(line.book_id == book_id for order in orders.values() for line in order.lines)

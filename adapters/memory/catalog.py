from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from domain.catalog import Book

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


def stored_row(book: Book) -> Book:
    """A copy as a database row would hold it: pending events are not stored (else they fire again)."""
    stored = copy.deepcopy(book)
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

    async def add(self, book: Book) -> None:
        self._rows[book.id] = stored_row(book)
        self._uow.track(book)

    async def update(self, book: Book) -> None:
        self._rows[book.id] = stored_row(book)

    async def save_stock(self, books: Sequence[Book]) -> None:
        for book in books:
            if book.id in self._rows:
                self._rows[book.id].stock = book.stock

    async def delete(self, book_id: UUID) -> None:
        self._rows.pop(book_id, None)

    async def isbn_taken(self, isbn: str, *, exclude: UUID | None = None) -> bool:
        return any(b.isbn == isbn and b.id != exclude for b in self._rows.values())

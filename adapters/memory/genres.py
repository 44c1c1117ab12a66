from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.catalog import Book, Genre

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


class MemoryGenreRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[UUID, Genre] = uow.table("genres")
        self._books: dict[UUID, Book] = uow.table("books")

    async def add(self, genre: Genre) -> None:
        self._rows[genre.id] = genre

    async def get(self, genre_id: UUID) -> Genre | None:
        return self._rows.get(genre_id)

    async def get_by_slug(self, slug: str) -> Genre | None:
        return next((g for g in self._rows.values() if g.slug == slug), None)

    async def name_taken(self, name: str) -> bool:
        return any(g.name.lower() == name.lower() for g in self._rows.values())

    async def delete(self, genre_id: UUID) -> None:
        self._rows.pop(genre_id, None)
        for book in self._books.values():
            if book.genre is not None and book.genre.id == genre_id:
                book.genre = None

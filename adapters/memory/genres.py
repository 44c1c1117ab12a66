from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

from domain.catalog import Book, Genre, slug_forms

if TYPE_CHECKING:
    from adapters.memory.uow import MemoryUnitOfWork


def named_by(slug: str, stored: Iterable[Genre]) -> Genre | None:
    """The genre a requested slug names: its own, else the one of its canonical form (`slug_forms`)."""
    by_slug = {genre.slug: genre for genre in stored}
    return next((by_slug[form] for form in slug_forms(slug) if form in by_slug), None)


class MemoryGenreRepository:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._rows: dict[UUID, Genre] = uow.table("genres")
        self._books: dict[UUID, Book] = uow.table("books")

    async def add(self, genre: Genre) -> None:
        self._rows[genre.id] = genre

    async def get(self, genre_id: UUID) -> Genre | None:
        return self._rows.get(genre_id)

    async def get_by_slug(self, slug: str) -> Genre | None:
        return named_by(slug, self._rows.values())

    async def name_taken(self, name: str) -> bool:
        return any(g.name.lower() == name.lower() for g in self._rows.values())

    async def delete(self, genre_id: UUID) -> None:
        self._rows.pop(genre_id, None)
        for book in self._books.values():
            if book.genre is not None and book.genre.id == genre_id:
                book.genre = None

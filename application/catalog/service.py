"""The catalog use cases, one method each."""

from __future__ import annotations

from uuid import UUID

from application.catalog.books import (
    CreateBook,
    CreateBookHandler,
    DeleteBook,
    DeleteBookHandler,
    PublishBook,
    PublishBookHandler,
    SetStock,
    SetStockHandler,
    UpdateBook,
    UpdateBookHandler,
)
from application.catalog.genres import CreateGenre, CreateGenreHandler, DeleteGenre, DeleteGenreHandler
from application.catalog.queries import BookList, CatalogQueries, ListBooks
from application.deps import Deps
from application.ports.catalog import GenreCount, TagCount
from domain.book_policy import Viewer
from domain.catalog import Book, Genre


class CatalogService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._queries = CatalogQueries(deps) if deps.catalog_reads is not None else None

    @property
    def queries(self) -> CatalogQueries:
        assert self._queries is not None, "bootstrap wires the catalog read side"
        return self._queries

    async def list_books(self, cmd: ListBooks) -> tuple[list[Book], int]:
        return await self.queries.list_books(cmd)

    async def list_page(self, cmd: ListBooks) -> BookList:
        """A page with the cursor of the next one."""
        return await self.queries.list_page(cmd)

    async def get_book(self, book_id: UUID, viewer: Viewer | None = None) -> Book:
        return await self.queries.get_book(book_id, viewer)

    async def genres(self) -> list[GenreCount]:
        return await self.queries.genres()

    async def tags(self) -> list[TagCount]:
        return await self.queries.tags()

    async def create_book(self, cmd: CreateBook) -> Book:
        return await CreateBookHandler(self._deps)(cmd)

    async def update_book(self, cmd: UpdateBook) -> Book:
        return await UpdateBookHandler(self._deps)(cmd)

    async def publish_book(self, cmd: PublishBook) -> Book:
        return await PublishBookHandler(self._deps)(cmd)

    async def delete_book(self, cmd: DeleteBook) -> None:
        await DeleteBookHandler(self._deps)(cmd)

    async def set_stock(self, cmd: SetStock) -> Book:
        return await SetStockHandler(self._deps)(cmd)

    async def create_genre(self, cmd: CreateGenre) -> Genre:
        return await CreateGenreHandler(self._deps)(cmd)

    async def delete_genre(self, cmd: DeleteGenre) -> None:
        await DeleteGenreHandler(self._deps)(cmd)

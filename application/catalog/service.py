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
from application.policy import Policy
from application.ports.catalog import CatalogCache, CatalogReads, GenreCount, TagCount
from application.ports.clock import Clock
from application.ports.rate_limit import RateLimiter
from application.ports.uow import UowFactory
from domain.book_policy import Viewer
from domain.catalog import Book, Genre


class CatalogService:
    def __init__(
        self,
        *,
        uow: UowFactory,
        clock: Clock,
        reads: CatalogReads,
        cache: CatalogCache,
        rate_limiter: RateLimiter,
        policy: Policy,
    ) -> None:
        self.reads = reads
        self.cache = cache
        self.queries = CatalogQueries(reads=reads, cache=cache)
        self._create_book = CreateBookHandler(
            uow=uow,
            clock=clock,
            rate_limiter=rate_limiter,
            require_verified_email=policy.require_verified_email,
            books_per_user=policy.rate_limits.books_per_user,
        )
        self._update_book = UpdateBookHandler(uow=uow, clock=clock)
        self._publish_book = PublishBookHandler(uow=uow, clock=clock)
        self._delete_book = DeleteBookHandler(uow=uow)
        self._set_stock = SetStockHandler(uow=uow, clock=clock)
        self._create_genre = CreateGenreHandler(uow=uow)
        self._delete_genre = DeleteGenreHandler(uow=uow)

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
        return await self._create_book(cmd)

    async def update_book(self, cmd: UpdateBook) -> Book:
        return await self._update_book(cmd)

    async def publish_book(self, cmd: PublishBook) -> Book:
        return await self._publish_book(cmd)

    async def delete_book(self, cmd: DeleteBook) -> None:
        await self._delete_book(cmd)

    async def set_stock(self, cmd: SetStock) -> Book:
        return await self._set_stock(cmd)

    async def create_genre(self, cmd: CreateGenre) -> Genre:
        return await self._create_genre(cmd)

    async def delete_genre(self, cmd: DeleteGenre) -> None:
        await self._delete_genre(cmd)

"""Catalog reads: list and search, book detail, genre and tag lists, each read through the cache."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import cast
from uuid import UUID

from application.deps import Deps
from application.ports.catalog import (
    COUNTS,
    LISTS,
    STOCK_COUNTS,
    TAXONOMY,
    BookQuery,
    CatalogReads,
    GenreCount,
    Matches,
    Sort,
    TagCount,
    book_scope,
)
from domain.catalog import Book
from domain.errors import InvalidField, NotFound
from domain.money import Money


@dataclass(frozen=True, slots=True)
class ListBooks:
    """The query as the client sent it; prices and sort are checked here, not at the edge."""

    q: str | None = None
    genre: str | None = None
    author: str | None = None
    tag: str | None = None
    min_price: str | None = None
    max_price: str | None = None
    in_stock: bool | None = None
    language: str | None = None
    sort: str | None = None
    limit: int = 20
    offset: int = 0


def _price(raw: str | None, field: str) -> Decimal | None:
    return None if raw is None else Money.of(raw, field=field).amount


def _sort(raw: str | None, q: str | None) -> Sort:
    if raw is None:
        return Sort.RELEVANCE if q else Sort.NEWEST
    try:
        return Sort(raw)
    except ValueError:
        raise InvalidField("sort", f"must be one of {', '.join(s.value for s in Sort)}") from None


def to_query(cmd: ListBooks) -> BookQuery:
    q = cmd.q.strip() if cmd.q else None
    return BookQuery(
        q=q or None,
        genre=cmd.genre,
        author=cmd.author,
        tag=cmd.tag,
        min_price=_price(cmd.min_price, "min_price"),
        max_price=_price(cmd.max_price, "max_price"),
        in_stock=cmd.in_stock,
        language=cmd.language,
        sort=_sort(cmd.sort, q),
        limit=cmd.limit,
        offset=cmd.offset,
    )


class CatalogQueries:
    """The read side's use cases; the cache is checked first and filled on a miss."""

    def __init__(self, deps: Deps) -> None:
        assert deps.catalog_reads is not None, "bootstrap wires the catalog read side"
        self._reads: CatalogReads = deps.catalog_reads
        self._cache = deps.catalog_cache

    async def list_books(self, cmd: ListBooks) -> tuple[list[Book], int]:
        query = to_query(cmd)
        # Hot pages (the first page, popular searches) are served whole from the cache; a miss
        # still reuses the cached count of the same matching set, the costly half of a deep page.
        page_key = f"page:{query.count_key()}\x1f{query.sort}\x1f{query.limit}\x1f{query.offset}"
        cached, page_generation = await self._cache.read(LISTS, page_key, tuple[int, list[Book]])
        if cached is not None:
            total, books = cast(tuple[int, list[Book]], cached)
            return books, total
        key = "matches:" + query.count_key()
        counts = COUNTS if query.in_stock is None else STOCK_COUNTS  # a sale leaves the first kind right
        matches, generation = await self._cache.read(counts, key, Matches)
        if matches is None:
            matches = await self._reads.matches(query)
            await self._cache.write(counts, key, matches, generation)
        found = cast(Matches, matches)
        books = await self._reads.page(query, found)
        await self._cache.write(LISTS, page_key, (found.total, books), page_generation)
        return books, found.total

    async def get_book(self, book_id: UUID) -> Book:
        scope = book_scope(book_id)
        book, generation = await self._cache.read(scope, "detail", Book)
        if book is None:
            book = await self._reads.book(book_id)
            if book is None:
                raise NotFound("book")
            await self._cache.write(scope, "detail", book, generation)
        return cast(Book, book)

    async def genres(self) -> list[GenreCount]:
        found, generation = await self._cache.read(TAXONOMY, "genres", list[GenreCount])
        if found is None:
            found = await self._reads.genres()
            await self._cache.write(TAXONOMY, "genres", found, generation)
        return cast(list[GenreCount], found)

    async def tags(self) -> list[TagCount]:
        found, generation = await self._cache.read(TAXONOMY, "tags", list[TagCount])
        if found is None:
            found = await self._reads.tags()
            await self._cache.write(TAXONOMY, "tags", found, generation)
        return cast(list[TagCount], found)

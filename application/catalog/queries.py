"""Catalog reads: list and search, book detail, genre and tag lists, each read through the cache."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import cast
from uuid import UUID

from application.catalog.cursor import FIELD as AFTER
from application.catalog.cursor import cursor_after, decode_cursor, encode_cursor, walked_order
from application.ports.catalog import (
    BookQuery,
    CatalogCache,
    CatalogReads,
    GenreCount,
    Matches,
    Sort,
    TagCount,
    book_scope,
    count_scopes,
    page_scopes,
)
from domain.book_policy import BookPolicy, Viewer
from domain.catalog import Book
from domain.errors import InvalidField, Unauthorized
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
    for_sale: bool | None = None
    added_by: str | None = None  # a user id, or "me"
    published: bool | None = None
    viewer: Viewer | None = None
    after: str | None = None  # the `next` cursor of an earlier page


@dataclass(frozen=True, slots=True)
class BookList:
    """A page of the book list, with the cursor of the page after it (None on the last page, and in
    relevance order, which only pages by offset)."""

    items: list[Book]
    total: int
    next: str | None = None
    #: The text search's count stopped at its cap: `total` is a lower bound (`next` pages on past it).
    total_estimated: bool = False


@dataclass(frozen=True, slots=True)
class _Window:
    """What a list page keeps in the cache: its books, and whether any follow them."""

    total: int
    books: list[Book] = field(default_factory=list)
    more: bool = False
    estimated: bool = False

    @classmethod
    def of(cls, query: BookQuery, matches: Matches, books: list[Book]) -> _Window:
        """The page of `query` from the books read for one more than its limit."""
        return cls(matches.total, books[: query.limit], len(books) > query.limit, matches.estimated)


def _added_by(raw: str | None, viewer: Viewer | None) -> UUID | None:
    if raw is None:
        return None
    if raw == "me":
        if viewer is None:
            raise Unauthorized("added_by=me needs a bearer access token")
        return viewer.id
    try:
        return UUID(raw)
    except ValueError:
        raise InvalidField("added_by", "must be a user id or me") from None


def _visibility(cmd: ListBooks, added_by: UUID | None) -> tuple[bool | None, UUID | None]:
    """(`published`, `unpublished_of`) of the query: unpublished books show only where asked for
    (`published=false`, or `added_by`), and only those the BookPolicy lets the caller see."""
    viewer = cmd.viewer
    if cmd.published is True or (cmd.published is None and added_by is None):
        return True, None
    if viewer is None:
        if cmd.published is False:
            raise Unauthorized("published=false lists a signed-in reader's own books")
        return True, None
    own = None if viewer.is_staff else viewer.id
    if cmd.published is False:
        return False, own
    if viewer.is_staff or added_by == viewer.id:
        return None, own
    return True, None


def _price(raw: str | None, field: str) -> Decimal | None:
    return None if raw is None else Money.of(raw, field=field).amount


def _sort(raw: str | None, q: str | None) -> Sort:
    if raw is None:
        return Sort.RELEVANCE if q else Sort.NEWEST
    try:
        return Sort(raw)
    except ValueError:
        raise InvalidField("sort", f"must be one of {', '.join(s.value for s in Sort)}") from None


def _after(query: BookQuery, token: str | None) -> BookQuery:
    if token is None:
        return query
    if query.offset:
        raise InvalidField(AFTER, "cannot be combined with a non-zero offset")
    order = walked_order(query)
    if order is None:
        raise InvalidField(AFTER, "relevance order pages by offset only: choose a sort to page by cursor")
    return replace(query, after=decode_cursor(token, order))


def to_query(cmd: ListBooks) -> BookQuery:
    q = cmd.q.strip() if cmd.q else None
    added_by = _added_by(cmd.added_by, cmd.viewer)
    published, unpublished_of = _visibility(cmd, added_by)
    query = BookQuery(
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
        for_sale=cmd.for_sale,
        added_by=added_by,
        published=published,
        unpublished_of=unpublished_of,
    )
    return _after(query, cmd.after)


#: Set by a caller that stores the answer built from a public read (the HTTP edge's stored responses):
#: each cached read made adds the scopes it depends on, so that the answer is stale when the read is.
READ_SCOPES: ContextVar[list[tuple[str, ...]] | None] = ContextVar("catalog_read_scopes", default=None)


def _reported(scopes: tuple[str, ...]) -> None:
    listening = READ_SCOPES.get()
    if listening is not None:
        listening.append(scopes)


def _key_of(query: BookQuery) -> str:
    """The cursor's part of a page's cache key (empty for an offset page)."""
    return "" if query.after is None else encode_cursor(query.after)


class CatalogQueries:
    """The read side's use cases; the cache is checked first and filled on a miss."""

    def __init__(self, *, reads: CatalogReads, cache: CatalogCache) -> None:
        self._reads = reads
        self._cache = cache

    async def list_books(self, cmd: ListBooks) -> tuple[list[Book], int]:
        found = await self.list_page(cmd)
        return found.items, found.total

    async def list_page(self, cmd: ListBooks) -> BookList:
        query = to_query(cmd)
        window = await self._window(query)
        order = walked_order(query)
        after = window.books[-1] if window.more and window.books and order is not None else None
        following = None if after is None or order is None else encode_cursor(cursor_after(after, order))
        return BookList(window.books, window.total, following, window.estimated)

    async def _window(self, query: BookQuery) -> _Window:
        # One book more than the page is read, to know whether a next page exists.
        ahead = replace(query, limit=query.limit + 1)
        if not query.public:  # a caller's own unpublished books: never in a shared cache entry
            return _Window.of(query, *await self._reads.listing(ahead))
        # Hot pages (the first page, popular searches) are served whole from the cache; a miss
        # still reuses the cached count of the same matching set, the costly half of a deep page.
        page_key = f"page:{query.count_key()}\x1f{query.sort}\x1f{query.limit}\x1f{query.offset}\x1f{_key_of(query)}"
        cached, page_token = await self._cache.read(page_key, _Window)
        if cached is not None:
            window = cast(_Window, cached)
            _reported(page_scopes(query, window.books))
            return window
        key = "matches:" + query.count_key()
        matches, token = await self._cache.read(key, Matches)
        if matches is None:  # count and page in one go
            found, books = await self._reads.listing(ahead)
            await self._cache.write(key, found, token, count_scopes(query))
        else:
            found = cast(Matches, matches)
            books = await self._reads.page(ahead, found)
        window = _Window.of(query, found, books)
        scopes = page_scopes(query, window.books)
        await self._cache.write(page_key, window, page_token, scopes)
        _reported(scopes)
        return window

    async def get_book(self, book_id: UUID, viewer: Viewer | None = None) -> Book:
        key, scopes = f"detail:{book_id}", (book_scope(book_id),)
        book, token = await self._cache.read(key, Book)
        if book is None:
            book = BookPolicy.ensure_visible(await self._reads.book(book_id), viewer)
            if not book.published:  # only what anyone may see is cached
                return book
            await self._cache.write(key, book, token, scopes)
        _reported(scopes)
        return cast(Book, book)

    async def genres(self) -> list[GenreCount]:
        found, token = await self._cache.read("taxonomy:genres", list[GenreCount])
        if found is None:
            found = await self._reads.genres()
            await self._cache.write("taxonomy:genres", found, token)
        return cast(list[GenreCount], found)

    async def tags(self) -> list[TagCount]:
        found, token = await self._cache.read("taxonomy:tags", list[TagCount])
        if found is None:
            found = await self._reads.tags()
            await self._cache.write("taxonomy:tags", found, token)
        return cast(list[TagCount], found)

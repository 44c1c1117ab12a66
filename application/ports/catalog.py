"""Catalog ports: the genre repository, the read side (listing and search) and its cache."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from domain.catalog import Book, Genre


class GenreRepository(Protocol):
    async def add(self, genre: Genre) -> None: ...
    async def get(self, genre_id: UUID) -> Genre | None: ...
    async def get_by_slug(self, slug: str) -> Genre | None: ...
    async def name_taken(self, name: str) -> bool:
        """True when a genre of that name exists, whatever its case."""

    async def delete(self, genre_id: UUID) -> None:
        """Deletes the genre; its books keep no genre."""


class Sort(StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "-created_at"
    TITLE = "title"
    PRICE = "price"
    PRICE_DESC = "-price"
    RATING_DESC = "-rating"
    PUBLISHED_DESC = "-publication_date"


#: A text search counts its matches exactly up to this many; past it, the total says "at least this
#: many" (`Matches.estimated`): bounded work for any `q`, however common its words.
COUNT_CAP = 200


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a keyset page starts: just after the book with this sort key and id, in `sort`'s order
    (the order actually walked: relevance over stop words walks by title)."""

    sort: Sort
    key: tuple[Any, ...]  # `application.catalog.cursor.sort_key` of that book
    id: UUID


@dataclass(frozen=True, slots=True)
class BookQuery:
    """One page of the catalog: filters, order and window. Text filters are matched literally."""

    q: str | None = None
    genre: str | None = None
    author: str | None = None
    tag: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    language: str | None = None
    sort: Sort = Sort.NEWEST
    limit: int = 20
    offset: int = 0
    for_sale: bool | None = None
    added_by: UUID | None = None
    #: True: published books only (the public catalog, the only kind of query cached); False:
    #: unpublished ones only; None: both.
    published: bool | None = True
    #: Narrows the unpublished books shown to this reader's own (None: every reader's, for staff).
    unpublished_of: UUID | None = None
    #: A keyset page: the books after this one (with `offset` 0), instead of skipping `offset` books.
    after: Cursor | None = None
    #: With `q`: matches are counted up to this many (see COUNT_CAP).
    count_cap: int = COUNT_CAP

    @property
    def public(self) -> bool:
        """Whether the answer is the same for every caller (and so may be cached and shared)."""
        return self.published is True

    def count_key(self) -> str:
        """Identifies the matching set (not the order or window): the key of its cached count."""
        parts: list[object] = [self.q, self.genre, self.author, self.tag, self.min_price, self.max_price]
        parts += [self.in_stock, self.language, self.for_sale, self.added_by, self.published, self.unpublished_of]
        parts += [self.count_cap if self.q else None]
        return "\x1f".join("" if part is None else str(part) for part in parts)


@dataclass(frozen=True, slots=True)
class Matches:
    """How many books match a query; `fuzzy_ids` holds the few close matches when no word matched.
    `estimated`: a text search's count stopped at its cap, `total` (more books match)."""

    total: int
    fuzzy_ids: tuple[UUID, ...] | None = None
    estimated: bool = False

    @classmethod
    def counted(cls, found: int, query: BookQuery) -> Matches:
        """`found` matches of `query`, counted up to one past its cap when it has text."""
        if query.q and found > query.count_cap:
            return cls(query.count_cap, estimated=True)
        return cls(found)


@dataclass(frozen=True, slots=True)
class GenreCount:
    id: UUID
    name: str
    slug: str
    book_count: int


@dataclass(frozen=True, slots=True)
class TagCount:
    name: str
    book_count: int


class CatalogReads(Protocol):
    """The read side: listing and full-text search, book detail, genre and tag lists."""

    async def matches(self, query: BookQuery) -> Matches: ...
    async def page(self, query: BookQuery, matches: Matches) -> list[Book]:
        """The books of the query's window, in its order (relevance: best first)."""

    async def listing(self, query: BookQuery) -> tuple[Matches, list[Book]]:
        """`matches` and `page` together, in one round trip where the database allows it."""

    async def book(self, book_id: UUID) -> Book | None: ...
    async def genres(self) -> list[GenreCount]: ...
    async def tags(self) -> list[TagCount]: ...


#: Scopes of cached catalog reads. An entry is stored with the scopes it depends on, and a committed
#: write names the scopes it changed: the entries depending on one of them are stale. Every entry also
#: depends on all writes at once (`changed()` without scopes: a new, edited, published or deleted book, a
#: genre, an import).
RATING_ORDER = "rating-order"  # the order of a page sorted by rating
AVAILABILITY = "availability"  # which books are in stock: the pages and counts filtered by `in_stock`


def book_scope(book_id: UUID) -> str:
    """The scope of one book's stock and rating figures: its detail, and the pages that show it."""
    return f"book:{book_id}"


def page_scopes(query: BookQuery, books: Iterable[Book]) -> tuple[str, ...]:
    """What a cached page of `query` showing `books` depends on, besides every write at once: the figures
    of the books it shows, the ratings of all books when it is sorted by them, and which books are in
    stock when it filters by that. A book it does not show can change neither (no other filter or order
    looks at stock or ratings, and a price changes only by an edit)."""
    return (*count_scopes(query), *((RATING_ORDER,) if query.sort is Sort.RATING_DESC else ()), *book_scopes(books))


def count_scopes(query: BookQuery) -> tuple[str, ...]:
    """What the cached count of `query`'s matches depends on (see `page_scopes`)."""
    return (AVAILABILITY,) if query.in_stock is not None else ()


def book_scopes(books: Iterable[Book]) -> tuple[str, ...]:
    return tuple(book_scope(book.id) for book in books)


def books_changed(book_ids: Iterable[UUID], *, ratings: bool, sold_out: bool = False) -> tuple[str, ...]:
    """What a change to some books' stock or rating figures makes stale: their details and the pages
    that show them; with `ratings`, every page sorted by rating; with `sold_out` (a book's stock went to
    zero), every page and count filtered by `in_stock`. Other pages and counts, and the genre and tag
    lists, stay."""
    broad = (RATING_ORDER,) * ratings + (AVAILABILITY,) * sold_out
    return (*broad, *sorted({book_scope(book_id) for book_id in book_ids}))


class CatalogCache(Protocol):
    """Read-through cache of catalog reads, valid until a committed write touches a scope it depends on.

    `read` gives the entry (or None) and a token of when it was read, opaque; the caller reads the
    database on a miss and `write`s under that same token, with the scopes the value depends on, so a
    value read before a write committed is never served after `changed(...)` ran. Keys are unique
    across every kind of entry.
    """

    async def read(self, key: str, kind: Any) -> tuple[Any, object]: ...
    async def write(self, key: str, value: Any, token: object, scopes: Sequence[str] = ()) -> None: ...
    async def changed(self, *scopes: str) -> None:
        """Called after a committed catalog write: the entries depending on one of `scopes`, or every
        entry when none is named, are stale."""


class NoCatalogCache:
    """The cache turned off: every read goes to the database."""

    async def read(self, key: str, kind: Any) -> tuple[Any, object]:
        return None, None

    async def write(self, key: str, value: Any, token: object, scopes: Sequence[str] = ()) -> None:
        return None

    async def changed(self, *scopes: str) -> None:
        return None

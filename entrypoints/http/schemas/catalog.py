from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from application.ports.catalog import COUNT_CAP, GenreCount
from domain.catalog import MAX_STOCK, Book


class GenreRef(msgspec.Struct):
    id: UUID
    name: str
    slug: str


class ContributorOut(msgspec.Struct):
    """The reader who added a book."""

    id: UUID
    username: str


class BookOut(msgspec.Struct):
    """A book as every endpoint shows it (shelf entries and pre-bookings embed it too)."""

    id: UUID
    title: str
    author: str
    isbn: str | None
    description: str | None
    publisher: str | None
    publication_date: date | None
    pages: int | None
    language: str | None
    genre: GenreRef | None
    tags: list[str]
    price: str | None
    stock: int
    for_sale: bool
    published: bool
    added_by: ContributorOut | None
    average_rating: float | None
    review_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, book: Book) -> BookOut:
        # Positional, in the fields' order: a list page builds twenty of these (half the cost of keywords).
        genre, added_by, price = book.genre, book.added_by, book.price
        return cls(
            book.id,
            book.title,
            book.author,
            book.isbn,
            book.description,
            book.publisher,
            book.publication_date,
            book.pages,
            book.language,
            None if genre is None else GenreRef(genre.id, genre.name, genre.slug),
            list(book.tags),
            None if price is None else str(price),
            book.stock,
            book.for_sale,
            book.published,
            None if added_by is None else ContributorOut(added_by.id, added_by.username),
            book.average_rating,
            book.review_count,
            book.created_at,
            book.updated_at,
        )


# -- catalog endpoints -----------------------------------------------------------------------------
# `extra` documents what the use cases check beyond msgspec's bounds (see schemas/identity.py `documented`).
_NOT_BLANK = {"extra": {"pattern": r"\S"}}
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=500, extra_json_schema=_NOT_BLANK)]
Author = Annotated[str, msgspec.Meta(min_length=1, max_length=300, extra_json_schema=_NOT_BLANK)]
Price = Annotated[
    str,
    msgspec.Meta(
        max_length=32,
        pattern=r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
        description='A decimal string with at most two places, e.g. "29.99": 0 to 9999999999.99',
    ),
]
_ISBN_SHAPE = r"^\s*$|^[ -]*(?:[0-9][ -]*){9}[0-9Xx][ -]*$|^[ -]*(?:[0-9][ -]*){13}$"
Isbn = Annotated[
    str,
    msgspec.Meta(
        max_length=32,
        description="ISBN-10 or ISBN-13, hyphens allowed, checked by its check digit; stored as ISBN-13",
        # 10 or 13 digits (an ISBN-10 may end in X) among hyphens and spaces, or blank for none
        extra_json_schema={"extra": {"pattern": _ISBN_SHAPE}},
    ),
]
Text = Annotated[str, msgspec.Meta(max_length=20_000)]
Publisher = Annotated[str, msgspec.Meta(max_length=300)]
Pages = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
Language = Annotated[str, msgspec.Meta(min_length=1, max_length=35)]
Slug = Annotated[
    str, msgspec.Meta(min_length=1, max_length=120, description="The slug of an existing genre (GET /genres)")
]
TagName = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Tags = Annotated[list[TagName], msgspec.Meta(max_length=50)]
Stock = Annotated[int, msgspec.Meta(ge=0, le=MAX_STOCK)]


class BookIn(msgspec.Struct, forbid_unknown_fields=False):
    """`price` is required from an admin and refused (403) from anyone else, as is `stock`."""

    title: Title
    author: Author
    price: Price | None = None
    isbn: Isbn | None = None
    description: Text | None = None
    publisher: Publisher | None = None
    publication_date: date | None = None
    pages: Pages | None = None
    language: Language | None = None
    genre: Slug | None = None
    tags: Tags = msgspec.field(default_factory=list)
    stock: Stock | None = None


class BookPatch(msgspec.Struct, forbid_unknown_fields=False):
    """Only the fields sent change; `null` clears an optional one."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    author: Author | msgspec.UnsetType = msgspec.UNSET
    price: Price | msgspec.UnsetType | None = msgspec.UNSET  # null: off sale
    isbn: Isbn | msgspec.UnsetType | None = msgspec.UNSET
    description: Text | msgspec.UnsetType | None = msgspec.UNSET
    publisher: Publisher | msgspec.UnsetType | None = msgspec.UNSET
    publication_date: date | msgspec.UnsetType | None = msgspec.UNSET
    pages: Pages | msgspec.UnsetType | None = msgspec.UNSET
    language: Language | msgspec.UnsetType | None = msgspec.UNSET
    genre: Slug | msgspec.UnsetType | None = msgspec.UNSET
    tags: Tags | msgspec.UnsetType | None = msgspec.UNSET
    stock: Stock | msgspec.UnsetType = msgspec.UNSET

    def changes(self) -> dict[str, Any]:
        return {name: value for name in self.__struct_fields__ if (value := getattr(self, name)) is not msgspec.UNSET}


class BookPage(msgspec.Struct):
    """A page of books: `{items, total, limit, offset}` (a concrete `Page[BookOut]`; the generic
    `Page[T]` does not survive OpenAPI generation under `from __future__ import annotations`)."""

    items: list[BookOut]
    total: int
    limit: int
    offset: int
    #: Opaque; `?after=` it (with the same filters and sort) for the page after this one.
    next: Annotated[
        str | None,
        msgspec.Meta(
            description="Cursor of the next page, for `?after=` with the same filters and sort; null on the last"
            " page and in relevance order (which pages by `offset` only)"
        ),
    ] = None
    total_estimated: Annotated[
        bool,
        msgspec.Meta(
            description=f"True when a text search (`q`) matched more books than it counts exactly ({COUNT_CAP:,}):"
            " `total` is then that lower bound, and every match is still reached through `next` or `offset`"
        ),
    ] = False


class StockIn(msgspec.Struct):
    stock: Stock


class BookDetailOut(BookOut):
    rating_distribution: dict[str, int] = msgspec.field(default_factory=dict)

    @classmethod
    def detail(cls, book: Book) -> BookDetailOut:
        distribution = {str(star): n for star, n in enumerate(book.rating_counts, start=1)}
        return cls(**msgspec.structs.asdict(BookOut.of(book)), rating_distribution=distribution)


class GenreIn(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class GenreOut(msgspec.Struct):
    id: UUID
    name: str
    slug: str
    book_count: int

    @classmethod
    def of(cls, genre: GenreCount) -> GenreOut:
        return cls(genre.id, genre.name, genre.slug, genre.book_count)


class TagOut(msgspec.Struct):
    name: str
    book_count: int

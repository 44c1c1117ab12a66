"""The catalog's aggregate: a book, its price and its stock, and who added it (a reader's own book)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from domain.activity import ActivityEvent, ActivityKind, Done
from domain.errors import Conflict, InvalidField
from domain.events import DomainEvent
from domain.money import Money

#: Stock and quantities live in 32-bit integer columns.
MAX_STOCK = 2**31 - 1


class InsufficientStock(Conflict):
    code = "insufficient-stock"
    title = "Not enough stock"


def short_of_stock(book: Book | None, wanted: int) -> str:
    """What InsufficientStock says of `wanted` copies of `book` (None: it left the catalog)."""
    if book is None:
        return "a book in the cart is no longer sold"
    return f"{book.title}: {book.stock} left, {wanted} wanted"


class NotForSale(Conflict):
    code = "not-for-sale"
    title = "The book is not for sale"


class AlreadyPublished(Conflict):
    code = "conflict"
    title = "The book is published already"


class DuplicateBook(Conflict):
    """The catalog has this book already; `existing_id` is set when the caller may see that book."""

    code = "conflict"
    title = "The book exists"

    def __init__(self, detail: str, existing_id: UUID | None) -> None:
        super().__init__(detail)
        self.existing_id = existing_id


@dataclass(frozen=True, slots=True)
class BackInStock(DomainEvent):
    """A book's stock went from zero to above zero: waiting pre-bookings are due a mail."""

    book_id: UUID


@dataclass(frozen=True, slots=True)
class BookAdded(ActivityEvent):
    """Someone added a book to the catalog (a reader's own, or an admin's)."""

    kind = ActivityKind.BOOK_ADDED
    book_id: UUID
    user_id: UUID
    at: datetime
    published: bool

    def done(self) -> Done:
        return Done(self.user_id, self.at, self.book_id, {"published": self.published})


@dataclass(frozen=True, slots=True)
class Contributor:
    """The reader who added a book, as the book shows them."""

    id: UUID
    username: str


@dataclass(frozen=True, slots=True)
class Genre:
    id: UUID
    name: str
    slug: str


@dataclass(eq=False, slots=True)
class Book:
    """A title in the catalog. Rating figures are kept by the reviews, never set from outside."""

    id: UUID
    title: str
    author: str
    price: Money | None  # None: not for sale (a reader's book until an admin prices it)
    created_at: datetime
    updated_at: datetime
    stock: int = 0
    isbn: str | None = None
    description: str | None = None
    publisher: str | None = None
    publication_date: date | None = None
    pages: int | None = None
    language: str | None = None
    genre: Genre | None = None
    tags: list[str] = field(default_factory=list)
    rating_counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    #: False for a reader's own book until a moderator or admin publishes it.
    published: bool = True
    #: The reader who added it; None for a book an admin or an import added.
    added_by: Contributor | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    @property
    def for_sale(self) -> bool:
        return self.price is not None and self.published

    @property
    def sale_price(self) -> Money:
        """The price of a copy; a book without one never enters a cart or an order."""
        if self.price is None or not self.for_sale:
            raise NotForSale(f"{self.title} is not for sale")
        return self.price

    def is_added_by(self, user_id: UUID) -> bool:
        return self.added_by is not None and self.added_by.id == user_id

    def set_price(self, price: Money | None, *, now: datetime) -> None:
        """Prices the book (putting it on sale) or, with None, takes it off sale. Only a published
        book is priced, so an unpublished reader's book can never be bought."""
        if price is not None and not self.published:
            raise NotForSale(f"{self.title} is not published: publish it before pricing it")
        self.price = price
        self.updated_at = now

    def publish(self, *, now: datetime) -> None:
        """Moves a reader's book into the curated catalog (still not for sale until priced)."""
        if self.published:
            raise AlreadyPublished(f"{self.title} is published already")
        self.published = True
        self.updated_at = now

    @property
    def review_count(self) -> int:
        return sum(self.rating_counts)

    @property
    def average_rating(self) -> float | None:
        one, two, three, four, five = self.rating_counts  # every list page asks it of each book
        count = one + two + three + four + five
        if count == 0:
            return None
        return round((one + 2 * two + 3 * three + 4 * four + 5 * five) / count, 2)

    def withdraw(self, qty: int) -> None:
        """Takes `qty` copies out of stock for a sale."""
        if qty <= 0:
            raise InvalidField("quantity", "must be at least 1")
        if qty > self.stock:
            raise InsufficientStock(f"{self.title}: {self.stock} left")
        self.stock -= qty

    def set_stock(self, stock: int, *, now: datetime) -> None:
        """Sets the stock level; going from zero to above zero records BackInStock."""
        if not 0 <= stock <= MAX_STOCK:
            raise InvalidField("stock", f"must be between 0 and {MAX_STOCK}")
        if self.stock == 0 and stock > 0:
            self.events.append(BackInStock(self.id))
        self.stock = stock
        self.updated_at = now

    # Rating figures move only with reviews, in the same transaction (see application/reviews).
    def add_rating(self, stars: int) -> None:
        self._count(stars, +1)

    def remove_rating(self, stars: int) -> None:
        self._count(stars, -1)

    def change_rating(self, old: int, new: int) -> None:
        self._count(old, -1)
        self._count(new, +1)

    def _count(self, stars: int, delta: int) -> None:
        if not 1 <= stars <= len(self.rating_counts):
            raise InvalidField("rating", "must be between 1 and 5")
        counts = list(self.rating_counts)
        if counts[stars - 1] + delta < 0:
            raise ValueError(f"no {stars}-star rating to remove from {self.id}")
        counts[stars - 1] += delta
        self.rating_counts = (counts[0], counts[1], counts[2], counts[3], counts[4])


#: Longest slug kept (the column holds more).
SLUG_MAX = 120


def slugify(name: str) -> str:
    """The URL form of a genre name, whoever makes the genre (an admin or an import): its words in
    lower case, folded to ASCII letters and digits and joined by hyphens (`Café Noir` -> `cafe-noir`).
    A name without any ASCII letter or digit gets `genre-` and a hash of its words, so it still has a
    stable, distinct slug (`日本文学` -> `genre-…`). Applied to a slug it gives that slug back."""
    words = "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())
    folded = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug:
        seed = words or name.strip().lower()
        slug = "genre-" + hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:10]
    return slug[:SLUG_MAX].rstrip("-")


def has_word(name: str) -> bool:
    """Whether a name holds a letter or digit (what a genre's name needs)."""
    return any(ch.isalnum() for ch in name)


def slug_forms(slug: str) -> tuple[str, ...]:
    """The stored slugs a requested one may name, preferred first: itself (a link made before genre
    slugs had one rule), then its canonical form, which every genre made since has."""
    canonical = slugify(slug)
    return (slug,) if canonical == slug else (slug, canonical)


def clean_tags(names: list[str]) -> list[str]:
    """Tag names as stored: trimmed, blanks dropped, duplicates removed, sorted."""
    return sorted({name.strip() for name in names if name.strip()})

"""Writes to books: create (an admin's catalog book or a reader's own), edit, publish, delete, set
stock. Who may do which is the BookPolicy's; each write makes the catalog cache stale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from application.identity.limits import limit
from application.ports.clock import Clock
from application.ports.rate_limit import RateLimiter
from application.ports.uow import UnitOfWork, UowFactory
from domain.book_policy import BookPolicy, Viewer
from domain.catalog import Book, BookAdded, Contributor, DuplicateBook, Genre, clean_tags
from domain.errors import InvalidField, NotFound
from domain.events import BooksChanged
from domain.isbn import normalize_isbn
from domain.library import candidate_names, match_key
from domain.money import Money

DAY = 24 * 3600

#: Fields PATCH may change, besides `genre` (a slug), `tags`, `price`, `isbn` and `stock`.
PLAIN_FIELDS = ("title", "author", "description", "publisher", "publication_date", "pages", "language")


@dataclass(frozen=True, slots=True)
class CreateBook:
    """From an admin: a published catalog book (`price` required). From anyone else: their own
    unpublished book, not for sale (`price` and `stock` refused)."""

    by: Viewer
    title: str
    author: str
    price: str | None = None
    isbn: str | None = None
    description: str | None = None
    publisher: str | None = None
    publication_date: dt.date | None = None
    pages: int | None = None
    language: str | None = None
    genre: str | None = None
    tags: list[str] = field(default_factory=list)
    stock: int | None = None


@dataclass(frozen=True, slots=True)
class UpdateBook:
    """Only the fields present in `changes` change; None clears an optional one (`price`: off sale)."""

    by: Viewer
    book_id: UUID
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DeleteBook:
    by: Viewer
    book_id: UUID


@dataclass(frozen=True, slots=True)
class PublishBook:
    by: Viewer
    book_id: UUID


@dataclass(frozen=True, slots=True)
class SetStock:
    by: Viewer
    book_id: UUID
    stock: int


def _required(value: str, name: str) -> str:
    if not value.strip():
        raise InvalidField(name, "must not be blank")
    return value.strip()


async def _genre(uow: UnitOfWork, slug: str | None) -> Genre | None:
    if slug is None:
        return None
    genre = await uow.genres.get_by_slug(slug)
    if genre is None:
        raise InvalidField("genre", f"no genre has the slug {slug!r}")
    return genre


def _seen_by(book: Book, viewer: Viewer) -> UUID | None:
    """The id a duplicate answer may name: only a book the caller may see."""
    return book.id if BookPolicy.may_see(book, viewer) else None


async def _isbn(uow: UnitOfWork, raw: str | None, book_id: UUID, viewer: Viewer) -> str | None:
    if raw is None or not raw.strip():
        return None
    isbn = normalize_isbn(raw)
    existing = await uow.books.by_isbn(isbn, exclude=book_id)
    if existing is not None:
        raise DuplicateBook(f"a book with ISBN {isbn} exists", _seen_by(existing, viewer))
    return isbn


async def _ensure_new_title(uow: UnitOfWork, title: str, author: str, viewer: Viewer, *, exclude: UUID) -> None:
    """A reader may not add again a published book, nor one of their own: title and author compared as a
    library import matches them (`domain.library.match_key`: case, punctuation, diacritics, a series
    suffix and "Last, First" order ignored). Candidates by title first, then by author."""
    key = match_key(title, author)
    bare_title, *authors = candidate_names(title, author)

    def same(book: Book) -> bool:
        return book.id != exclude and match_key(book.title, book.author) == key

    candidates = [b for b in await uow.books.match_candidates(sorted({bare_title, title.lower()}), []) if same(b)]
    if not candidates:
        candidates = [b for b in await uow.books.match_candidates([], sorted(set(authors))) if same(b)]
    for book in candidates:
        if book.published or book.is_added_by(viewer.id):
            raise DuplicateBook(f"{book.title} by {book.author} is in the catalog already", book.id)


class CreateBookHandler:
    def __init__(
        self,
        *,
        uow: UowFactory,
        clock: Clock,
        rate_limiter: RateLimiter,
        require_verified_email: bool,
        books_per_user: int,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._rate_limiter = rate_limiter
        self._require_verified_email = require_verified_email
        self._books_per_user = books_per_user

    async def __call__(self, cmd: CreateBook) -> Book:
        reader = not cmd.by.is_admin
        if reader:
            if cmd.price is not None:
                BookPolicy.ensure_may_price(cmd.by, field="price")
            if cmd.stock is not None:
                BookPolicy.ensure_may_price(cmd.by, field="stock")
        elif cmd.price is None:
            raise InvalidField("price", "an admin's book needs a price")
        now = self._clock.now()
        book_id = uuid4()
        title, author = _required(cmd.title, "title"), _required(cmd.author, "author")
        async with self._uow() as uow:
            user = await uow.users.get(cmd.by.id)
            if user is None:
                raise NotFound("user")
            user.ensure_verified(required=self._require_verified_email)
            if reader:
                await _ensure_new_title(uow, title, author, cmd.by, exclude=book_id)
            book = Book(
                id=book_id,
                title=title,
                author=author,
                price=None if cmd.price is None else Money.of(cmd.price),
                created_at=now,
                updated_at=now,
                isbn=await _isbn(uow, cmd.isbn, book_id, cmd.by),
                description=cmd.description,
                publisher=cmd.publisher,
                publication_date=cmd.publication_date,
                pages=cmd.pages,
                language=cmd.language,
                genre=await _genre(uow, cmd.genre),
                tags=clean_tags(cmd.tags),
                published=not reader,
                added_by=Contributor(user.id, user.username) if reader else None,
            )
            book.set_stock(cmd.stock or 0, now=now)
            book.events.clear()  # a new book was never out of stock: nobody waits for it
            if reader:  # counted once the book is valid: a refused request costs none of the day's books
                await limit(
                    self._rate_limiter,
                    f"books:user:{user.id}",
                    per_window=self._books_per_user,
                    window_seconds=DAY,
                )
            book.events.append(BookAdded(book.id, user.id, now, book.published))
            await uow.books.add(book)
            if book.published:  # a reader's unpublished book is in no public answer
                uow.record(BooksChanged())
            await uow.commit()
        return book


class UpdateBookHandler:
    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, cmd: UpdateBook) -> Book:
        changes = cmd.changes
        now = self._clock.now()
        async with self._uow() as uow:
            book = BookPolicy.ensure_may_change(await uow.books.get(cmd.book_id, lock=True), cmd.by)
            for name in ("price", "stock"):
                if name in changes:
                    BookPolicy.ensure_may_price(cmd.by, field=name)
            was_public = book.published
            for name in PLAIN_FIELDS:
                if name in changes:
                    value = changes[name]
                    setattr(book, name, _required(value, name) if name in {"title", "author"} else value)
            if not cmd.by.is_staff and ("title" in changes or "author" in changes):
                await _ensure_new_title(uow, book.title, book.author, cmd.by, exclude=book.id)
            if "price" in changes:
                price = changes["price"]
                book.set_price(None if price is None else Money.of(price), now=now)
            if "isbn" in changes:
                book.isbn = await _isbn(uow, changes["isbn"], book.id, cmd.by)
            if "genre" in changes:
                book.genre = await _genre(uow, changes["genre"])
            if "tags" in changes:
                book.tags = clean_tags(changes["tags"] or [])
            if "stock" in changes:
                book.set_stock(changes["stock"], now=now)
            book.updated_at = now
            await uow.books.update(book)
            if was_public:
                uow.record(BooksChanged())
            await uow.commit()
        return book


class PublishBookHandler:
    """A moderator or admin moves a reader's book into the curated catalog."""

    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, cmd: PublishBook) -> Book:
        async with self._uow() as uow:
            book = BookPolicy.ensure_visible(await uow.books.get(cmd.book_id, lock=True), cmd.by)
            BookPolicy.ensure_may_publish(book, cmd.by)
            book.publish(now=self._clock.now())
            await uow.books.update(book)
            uow.record(BooksChanged())  # it joins lists, counts, genres and tags
            await uow.commit()
        return book


class DeleteBookHandler:
    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: DeleteBook) -> None:
        async with self._uow() as uow:
            book = await uow.books.get(cmd.book_id, lock=True)
            has_orders = book is not None and await uow.books.has_orders(book.id)
            book = BookPolicy.ensure_may_delete(book, cmd.by, has_orders=has_orders)
            # Shelf, cart, review and pre-booking rows go by foreign-key cascade; order lines keep
            # their snapshot (they hold no foreign key to the book).
            await uow.books.delete(cmd.book_id)
            if book.published:
                uow.record(BooksChanged())
            await uow.commit()


class SetStockHandler:
    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, cmd: SetStock) -> Book:
        BookPolicy.ensure_may_price(cmd.by, field="stock")
        async with self._uow() as uow:
            book = await uow.books.get(cmd.book_id, lock=True)
            if book is None:
                raise NotFound("book")
            book.set_stock(cmd.stock, now=self._clock.now())  # records BackInStock from 0 to >0
            await uow.books.update(book)
            uow.record(BooksChanged())
            await uow.commit()
        return book

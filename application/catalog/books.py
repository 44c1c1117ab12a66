"""Admin writes to books: create, edit, delete, set stock. Each makes the catalog cache stale."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from application.deps import Deps
from application.ports.uow import UnitOfWork
from domain.catalog import Book, Genre, clean_tags
from domain.errors import Conflict, InvalidField, NotFound
from domain.events import BooksChanged
from domain.isbn import normalize_isbn
from domain.money import Money

#: Fields PATCH may change, besides `genre` (a slug), `tags`, `price`, `isbn` and `stock`.
PLAIN_FIELDS = ("title", "author", "description", "publisher", "publication_date", "pages", "language")


@dataclass(frozen=True, slots=True)
class CreateBook:
    title: str
    author: str
    price: str
    isbn: str | None = None
    description: str | None = None
    publisher: str | None = None
    publication_date: dt.date | None = None
    pages: int | None = None
    language: str | None = None
    genre: str | None = None
    tags: list[str] = field(default_factory=list)
    stock: int = 0


@dataclass(frozen=True, slots=True)
class UpdateBook:
    """Only the fields present in `changes` change; None clears an optional one."""

    book_id: UUID
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DeleteBook:
    book_id: UUID


@dataclass(frozen=True, slots=True)
class SetStock:
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


async def _isbn(uow: UnitOfWork, raw: str | None, book_id: UUID) -> str | None:
    if raw is None or not raw.strip():
        return None
    isbn = normalize_isbn(raw)
    if await uow.books.isbn_taken(isbn, exclude=book_id):
        raise Conflict(f"a book with ISBN {isbn} exists")
    return isbn


class CreateBookHandler:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def __call__(self, cmd: CreateBook) -> Book:
        now = self._deps.clock.now()
        book_id = uuid4()
        async with self._deps.uow() as uow:
            book = Book(
                id=book_id,
                title=_required(cmd.title, "title"),
                author=_required(cmd.author, "author"),
                price=Money.of(cmd.price),
                created_at=now,
                updated_at=now,
                isbn=await _isbn(uow, cmd.isbn, book_id),
                description=cmd.description,
                publisher=cmd.publisher,
                publication_date=cmd.publication_date,
                pages=cmd.pages,
                language=cmd.language,
                genre=await _genre(uow, cmd.genre),
                tags=clean_tags(cmd.tags),
            )
            book.set_stock(cmd.stock, now=now)
            book.events.clear()  # a new book was never out of stock: nobody waits for it
            await uow.books.add(book)
            uow.record(BooksChanged())
            await uow.commit()
        return book


class UpdateBookHandler:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def __call__(self, cmd: UpdateBook) -> Book:
        changes = cmd.changes
        now = self._deps.clock.now()
        async with self._deps.uow() as uow:
            book = await uow.books.get(cmd.book_id, lock=True)
            if book is None:
                raise NotFound("book")
            for name in PLAIN_FIELDS:
                if name in changes:
                    value = changes[name]
                    setattr(book, name, _required(value, name) if name in {"title", "author"} else value)
            if "price" in changes:
                book.price = Money.of(changes["price"])
            if "isbn" in changes:
                book.isbn = await _isbn(uow, changes["isbn"], book.id)
            if "genre" in changes:
                book.genre = await _genre(uow, changes["genre"])
            if "tags" in changes:
                book.tags = clean_tags(changes["tags"] or [])
            if "stock" in changes:
                book.set_stock(changes["stock"], now=now)
            book.updated_at = now
            await uow.books.update(book)
            uow.record(BooksChanged())
            await uow.commit()
        return book


class DeleteBookHandler:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def __call__(self, cmd: DeleteBook) -> None:
        async with self._deps.uow() as uow:
            if await uow.books.get(cmd.book_id, lock=True) is None:
                raise NotFound("book")
            # Shelf, cart, review and pre-booking rows go by foreign-key cascade; order lines keep
            # their snapshot (they hold no foreign key to the book).
            await uow.books.delete(cmd.book_id)
            uow.record(BooksChanged())
            await uow.commit()


class SetStockHandler:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def __call__(self, cmd: SetStock) -> Book:
        async with self._deps.uow() as uow:
            book = await uow.books.get(cmd.book_id, lock=True)
            if book is None:
                raise NotFound("book")
            book.set_stock(cmd.stock, now=self._deps.clock.now())  # records BackInStock from 0 to >0
            await uow.books.update(book)
            uow.record(BooksChanged())
            await uow.commit()
        return book

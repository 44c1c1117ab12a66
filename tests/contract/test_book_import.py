"""The import's bulk writer (BookImportRepository) on the in-memory fake and the SQL adapters alike."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from domain.catalog import Book, Genre
from domain.ids import uuid7
from domain.imports import ImportConflict
from domain.money import Money
from entrypoints.bootstrap import Services
from tests.support.builders import T0, a_book, add_book
from tests.support.imports import isbn13


def _written(book: Book) -> dict[str, object]:
    """What an import writes of a book: every field but its events and rating figures."""
    return {field.name: getattr(book, field.name) for field in fields(Book) if field.name not in _NOT_WRITTEN}


_NOT_WRITTEN = {"events", "rating_counts"}


async def _stored(backend: Services, *books: Book) -> dict[UUID, Book]:
    """The books as read back, by id, in a transaction of their own."""
    async with backend.uow(read_only=True) as uow:
        return {book.id: book for book in await uow.books.get_many([book.id for book in books])}


async def test_books_are_found_by_isbn_and_by_title_and_author_in_any_case(backend: Services) -> None:
    dune = await add_book(backend, title="Dune", author="Frank Herbert", isbn=isbn13(3))
    await add_book(backend, title="Emma", author="Jane Austen")
    async with backend.uow(read_only=True) as uow:
        repo = uow.book_import
        assert await repo.ids_by_isbn([isbn13(3), isbn13(4), isbn13(3)]) == {isbn13(3): dune.id}
        assert await repo.ids_by_isbn([]) == {}
        wanted = [("dune", "frank herbert"), ("emma", "jane austen"), ("emma", "someone"), ("dune", "jane austen")]
        assert await repo.existing_keys(wanted) == {("dune", "frank herbert"), ("emma", "jane austen")}
        assert await repo.existing_keys([]) == set()


async def test_inserted_books_read_back_whole_with_genre_and_tags(backend: Services) -> None:
    async with backend.uow() as uow:
        genres = await uow.book_import.genres(["Science Fiction"], now=T0)
        full = a_book(
            id=uuid7(),
            title="Dune",
            author="Frank Herbert",
            price="9.99",
            stock=0,
            isbn=isbn13(11),
            description='A "desert", planet',
            publisher="Chilton",
            publication_date=date(1965, 8, 1),
            pages=412,
            language="en",
            genre=genres["science fiction"],
            tags=["ciência", "classic", "desert", "é" * 50],  # 50 characters, 100 bytes
        )
        bare = a_book(id=uuid7(), title="Bare", author="Nobody", stock=3)
        await uow.book_import.insert([full, bare])
        await uow.commit()
    found = await _stored(backend, full, bare)
    for book in (full, bare):
        assert _written(found[book.id]) == _written(book)
        assert found[book.id].rating_counts == (0, 0, 0, 0, 0)


async def test_prices_read_back_exactly_across_the_columns_range(backend: Services) -> None:
    amounts = ["0.00", "0.01", "0.10", "9.99", "10.00", "1234.50", "10000.00", "9999999999.99"]
    priced = [a_book(id=uuid7(), title=f"Priced {n}", author="Anyone", price=a) for n, a in enumerate(amounts)]
    async with backend.uow() as uow:
        await uow.book_import.insert(priced)
        await uow.commit()
    found = await _stored(backend, *priced)
    assert [str(found[book.id].price) for book in priced] == amounts


async def test_updated_books_keep_every_change_and_only_those(backend: Services) -> None:
    first = await add_book(backend, title="Dune", author="Frank Herbert", isbn=isbn13(31), tags=["old"], stock=0)
    second = await add_book(backend, title="Emma", author="Jane Austen", pages=474)
    later = T0 + timedelta(days=1)
    async with backend.uow() as uow:
        genre = (await uow.book_import.genres(["Poetry"], now=later))["poetry"]
        books = {book.id: book for book in await uow.books.get_many([first.id, second.id], lock=True)}
        dune, emma = books[first.id], books[second.id]
        dune.title, dune.author, dune.price = "Dune Messiah", "F. Herbert", Money(Decimal("12.50"))
        dune.description, dune.publisher, dune.language = "Sequel", "Putnam", "en"
        dune.publication_date, dune.pages, dune.genre = date(1969, 10, 15), 256, genre
        dune.tags, dune.updated_at = ["ciência", "sequel"], later
        dune.set_stock(4, now=later)
        emma.stock, emma.updated_at = 2, later
        await uow.book_import.update([dune, emma])
        await uow.commit()
    stored = await _stored(backend, first, second)
    for book in (dune, emma):
        assert _written(stored[book.id]) == _written(book)
        assert (stored[book.id].created_at, stored[book.id].updated_at) == (T0, later)
    assert stored[second.id].pages == 474


async def test_an_update_to_a_genre_deleted_meanwhile_is_a_conflict(backend: Services) -> None:
    book = await add_book(backend, title="Dune", author="Frank Herbert", isbn=isbn13(41))
    async with backend.uow() as uow:
        (found,) = await uow.books.get_many([book.id], lock=True)
        found.genre = Genre(uuid7(), "Gone", "gone")  # found by an earlier lookup, deleted since
        with pytest.raises(ImportConflict):
            await uow.book_import.update([found])
    assert (await _stored(backend, book))[book.id].genre is None


async def test_a_new_book_of_a_genre_deleted_meanwhile_is_a_conflict_and_writes_nothing(backend: Services) -> None:
    orphan = a_book(id=uuid7(), title="Dune", author="Frank Herbert", genre=Genre(uuid7(), "Gone", "gone"))
    async with backend.uow() as uow:
        with pytest.raises(ImportConflict):
            await uow.book_import.insert([orphan])
    assert await _stored(backend, orphan) == {}


async def test_an_isbn_taken_meanwhile_is_a_conflict_and_writes_nothing(backend: Services) -> None:
    await add_book(backend, title="First", author="X", isbn=isbn13(21))
    later = a_book(id=uuid7(), title="Second", author="Y", isbn=isbn13(21), tags=["new"])
    fine = a_book(id=uuid7(), title="Third", author="Z")
    async with backend.uow() as uow:
        with pytest.raises(ImportConflict):
            await uow.book_import.insert([fine, later])
    async with backend.uow(read_only=True) as uow:
        assert await uow.books.get_many([fine.id, later.id]) == []

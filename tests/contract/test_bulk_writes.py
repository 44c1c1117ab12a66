"""A batch of books, shelf entries, reads, reviews, activity and review versions written at once (as the library
import writes them: by COPY on PostgreSQL) reads back exactly as written, and the store still refuses a
duplicate in a batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import event

from adapters.sql.uow import SqlUowFactory
from domain.activity import Activity, ActivityKind
from domain.catalog import Book, Contributor
from domain.journal import Progress, Read
from domain.reviews import AlreadyReviewed, Review, ReviewVersion
from domain.shelf import AlreadyOnShelf, ShelfEntry, ShelfStatus
from entrypoints.bootstrap import Services
from tests.support.builders import T0, a_book, add_book, add_user

#: Not UTC, and with microseconds: a time must come back the same instant, to the microsecond.
_ELSEWHERE = timezone(timedelta(hours=-7, minutes=-30))
T1 = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=_ELSEWHERE)


@contextmanager
def _sent(backend: Services, verb: str) -> Iterator[list[int]]:
    """The `verb` statements SQLAlchemy has the driver run meanwhile: how many each call ran (an
    executemany of n rows runs n); none for the memory fakes."""
    sent: list[int] = []
    factory = backend.uow
    if not isinstance(factory, SqlUowFactory):
        yield sent
        return

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith(verb):
            sent.append(len(parameters) if executemany else 1)

    event.listen(factory.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield sent
    finally:
        event.remove(factory.engine.sync_engine, "before_cursor_execute", before)


def _entries(user_id: UUID, book_ids: list[UUID]) -> list[ShelfEntry]:
    first, second, third = book_ids
    return [
        # every column set, a finished read and an open one with progress
        ShelfEntry(
            user_id,
            first,
            ShelfStatus.READING,
            T1,
            T1 + timedelta(days=3),
            owned=True,
            read_count=1,
            progress=Progress(123, 45.5, T1 + timedelta(days=2)),
            review_text="Its own text, with a tab\tand a line\nand a quote ' \" \\ é",
            reads=[
                Read(uuid4(), user_id, first, date(2024, 1, 2), T1, finished_on=date(2024, 2, 3)),
                Read(uuid4(), user_id, first, None, T1, progress=Progress(None, 12.25, T1 + timedelta(hours=1))),
            ],
        ),
        # every nullable column NULL, the booleans false, and no read
        ShelfEntry(user_id, second, ShelfStatus.WISHLIST, T0, T0),
        # a stopped read and an undated finish
        ShelfEntry(
            user_id,
            third,
            ShelfStatus.COMPLETED,
            T0,
            T1,
            read_count=1,
            progress=Progress(7, None, T0),
            reads=[
                Read(uuid4(), user_id, third, date(2023, 5, 6), T0, stopped_on=date(2023, 5, 7)),
                Read.undated(uuid4(), user_id, third, T1),
            ],
        ),
    ]


def _reviews(user_id: UUID, book_ids: list[UUID]) -> list[Review]:
    return [
        Review(uuid4(), book_ids[0], user_id, 5, "Loved it\\N, really", True, T1, T1 + timedelta(seconds=1), None),
        Review(uuid4(), book_ids[1], user_id, 1, None, False, T0, T0, None),
    ]


async def test_a_batch_reads_back_exactly_as_written(backend: Services) -> None:
    user = await add_user(backend)
    book_ids = [(await add_book(backend)).id for _ in range(3)]
    entries = _entries(user.id, book_ids)
    reviews = _reviews(user.id, book_ids)
    activity = [
        Activity(uuid4(), user.id, ActivityKind.SHELVED, T1, book_ids[0], {"status": "READING", "n": 1.5, "x": None}),
        Activity(uuid4(), user.id, ActivityKind.FINISHED, T0, None, {}),
    ]
    versions = [ReviewVersion(reviews[0].id, 3, "before", T1), ReviewVersion(reviews[0].id, 4, None, T0)]
    with _sent(backend, "INSERT") as sent:
        async with backend.uow() as uow:
            await uow.shelf.add_many(entries)
            await uow.reviews.add_many(reviews)
            await uow.activity.add_many(activity)
            await uow.review_history.add_many(versions)
            await uow.commit()
    if _on_postgres(backend):
        assert sent == [], "on PostgreSQL a batch of many rows goes by COPY, not an INSERT per row"
    async with backend.uow(read_only=True) as uow:
        for written in entries:
            stored = await uow.shelf.get(user.id, written.book_id)
            assert stored is not None
            assert _fields(stored) == _fields(written)
            assert _values(stored.reads) == _values(written.reads)
            if isinstance(backend.uow, SqlUowFactory):  # the same instant, read back in UTC
                assert {read.created_at.utcoffset() for read in stored.reads} <= {timedelta(0)}
                assert stored.date_added.utcoffset() == timedelta(0)
        for review in reviews:
            assert _values([await uow.reviews.get(review.id)]) == _values([review])
        items, total = await uow.activity.page(user.id, kind=None, limit=10, offset=0)
        assert total == 2
        assert [item.entry for item in items] == sorted(activity, key=lambda entry: entry.at, reverse=True)
        assert await uow.review_history.of_review(reviews[0].id) == sorted(versions, key=lambda v: v.replaced_at)


def _on_postgres(backend: Services) -> bool:
    factory = backend.uow
    return isinstance(factory, SqlUowFactory) and factory.engine.dialect.name == "postgresql"


def _values(items: Sequence[Read | Review | Book | None]) -> list[tuple[object, ...]]:
    """Each item's fields (reads and reviews are entities: equal only to themselves), in id order."""
    return sorted((astuple(item) for item in items if item is not None), key=lambda fields: str(fields[0]))


def _fields(entry: ShelfEntry) -> tuple[object, ...]:
    return (
        entry.user_id,
        entry.book_id,
        entry.status,
        entry.date_added,
        entry.updated_at,
        entry.owned,
        entry.read_count,
        entry.progress,
        entry.review_text,
    )


async def test_a_batch_of_books_reads_back_exactly_as_written(backend: Services) -> None:
    reader = await add_user(backend)
    written = [
        a_book(
            isbn="9780000000017",
            description="A line\nand a tab\t",
            publisher="P",
            publication_date=date(1999, 12, 31),
            pages=321,
            language="en",
            tags=["sci-fi", "été", "a,b {c}"],
            price="12.34",
            stock=3,
            rating_counts=(1, 0, 2, 0, 4),
            created_at=T1,
            updated_at=T1 + timedelta(microseconds=1),
        ),
        # a reader's own book: every nullable column NULL, no tags, not for sale
        a_book(price=None, stock=0, published=False, added_by=Contributor(reader.id, reader.username)),
    ]
    with _sent(backend, "INSERT") as sent:
        async with backend.uow() as uow:
            await uow.books.add_many(written)
            await uow.commit()
    if _on_postgres(backend):
        assert sent == [], "on PostgreSQL a batch of books goes by COPY, not an INSERT per row"
    async with backend.uow(read_only=True) as uow:
        stored = await uow.books.get_many([book.id for book in written])
    assert _values(stored) == _values(written)
    averages = {book.id: book.average_rating for book in stored}
    assert averages == {book.id: book.average_rating for book in written}
    assert averages[written[0].id] is not None


async def test_a_batch_with_a_book_already_shelved_or_reviewed_is_refused_whole(backend: Services) -> None:
    user = await add_user(backend)
    book_ids = [(await add_book(backend)).id for _ in range(3)]
    async with backend.uow() as uow:
        await uow.shelf.add(ShelfEntry(user.id, book_ids[1], ShelfStatus.WISHLIST, T0, T0))
        await uow.reviews.add(_reviews(user.id, book_ids)[1])
        await uow.commit()
    async with backend.uow() as uow:
        with pytest.raises(AlreadyOnShelf):
            await uow.shelf.add_many(_entries(user.id, book_ids))
        with pytest.raises(AlreadyReviewed):
            await uow.reviews.add_many(_reviews(user.id, book_ids))
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        assert await uow.shelf.get(user.id, book_ids[0]) is None
        assert await uow.shelf.get(user.id, book_ids[2]) is None
        assert set(await uow.reviews.live_of(user.id, book_ids)) == {book_ids[1]}


async def test_many_books_rating_figures_are_written_at_once_and_nothing_else_of_them(backend: Services) -> None:
    rated = [
        await add_book(backend, rating_counts=(0, 0, 0, 0, 0)),
        await add_book(backend, rating_counts=(2, 0, 0, 0, 1)),
        await add_book(backend, rating_counts=(0, 0, 1, 0, 0)),
    ]
    untouched = await add_book(backend, rating_counts=(1, 1, 1, 1, 1))
    async with backend.uow() as uow:
        books = await uow.books.get_many([book.id for book in rated], lock=True)
        first, second, third = sorted(books, key=lambda book: [b.id for b in rated].index(book.id))
        first.add_rating(4)
        second.add_rating(5)
        third.remove_rating(3)  # back to no rating: no average
        second.title = "a title the rating write must not store"
        with _sent(backend, "UPDATE") as sent:
            await uow.reviews.store_ratings_of([first, second, third])
        await uow.commit()
    if _on_postgres(backend):
        assert sent == [1], "on PostgreSQL the figures of many books go in one statement"
    async with backend.uow(read_only=True) as uow:
        stored = {book.id: book for book in await uow.books.get_many([*(b.id for b in rated), untouched.id])}
    assert [stored[book.id].rating_counts for book in rated] == [(0, 0, 0, 1, 0), (2, 0, 0, 0, 2), (0, 0, 0, 0, 0)]
    assert [stored[book.id].average_rating for book in rated] == [4.0, 3.0, None]
    assert stored[rated[1].id].title == rated[1].title
    assert stored[untouched.id].rating_counts == (1, 1, 1, 1, 1)

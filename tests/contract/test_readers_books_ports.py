"""Readers' books, activity and review history through the ports: the fakes, SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from adapters.sql.uow import SqlUnitOfWork
from application.ports.catalog import BookQuery, Sort
from domain.activity import Activity, ActivityKind
from domain.catalog import Contributor, Genre
from domain.identity import User
from domain.ids import uuid7
from domain.reviews import ReviewVersion
from entrypoints.bootstrap import Services
from tests.contract.test_catalog_search import reads_of
from tests.support.builders import T0, a_book, add_books, add_genre, add_user
from tests.support.shelf import record_purchase


async def titles(services: Services, **fields: object) -> tuple[list[str], int]:
    reads = reads_of(services)
    query = BookQuery(**fields)  # type: ignore[arg-type]
    matches = await reads.matches(query)
    return sorted(book.title for book in await reads.page(query, matches)), matches.total


async def _readers_books(backend: Services, owner: User, genre: Genre) -> None:
    by = Contributor(owner.id, owner.username)
    await add_books(
        backend,
        a_book(title="Public Lantern", author="Ida Moss", genre=genre, tags=["sea"]),
        a_book(title="Secret Lantern", author="Ida Moss", genre=genre, tags=["sea", "hidden"], price=None,
               published=False, added_by=by),
        a_book(title="Published Lantern", author="Ida Moss", price=None, published=True, added_by=by),
    )  # fmt: skip


async def test_an_unpublished_book_is_in_no_public_list_search_count_or_taxonomy(backend: Services) -> None:
    owner = await add_user(backend)
    genre = await add_genre(backend, "Sea Stories")
    await _readers_books(backend, owner, genre)
    public = (["Public Lantern", "Published Lantern"], 2)
    assert await titles(backend) == public
    assert await titles(backend, q="lantern", sort=Sort.RELEVANCE) == public
    assert await titles(backend, q="lantern", sort=Sort.TITLE) == public
    assert await titles(backend, q="secret") == ([], 0)
    assert await titles(backend, q="secrte lantrn") == ([], 0)  # the typo path too
    assert await titles(backend, author="moss", tag="sea") == (["Public Lantern"], 1)
    reads = reads_of(backend)
    assert [(g.name, g.book_count) for g in await reads.genres()] == [("Sea Stories", 1)]
    assert [(t.name, t.book_count) for t in await reads.tags()] == [("sea", 1)]

    # Asked for, and allowed: the reader's own, or every reader's for the staff.
    assert await titles(backend, added_by=owner.id, published=None, unpublished_of=owner.id) == (
        ["Published Lantern", "Secret Lantern"],
        2,
    )
    assert await titles(backend, published=False, unpublished_of=uuid4()) == ([], 0)
    assert await titles(backend, published=False, q="secret") == (["Secret Lantern"], 1)


async def test_for_sale_filters_and_unpriced_books_sort_last_both_ways(backend: Services) -> None:
    owner = await add_user(backend)
    by = Contributor(owner.id, owner.username)
    await add_books(
        backend,
        a_book(title="Cheap", price="1.00"),
        a_book(title="Dear", price="9.00"),
        a_book(title="Unpriced", price=None, added_by=by),
    )
    assert await titles(backend, for_sale=False) == (["Unpriced"], 1)
    assert (await titles(backend, for_sale=True))[1] == 2
    reads = reads_of(backend)
    for sort, expected in (
        (Sort.PRICE, ["Cheap", "Dear", "Unpriced"]),
        (Sort.PRICE_DESC, ["Dear", "Cheap", "Unpriced"]),
    ):
        query = BookQuery(sort=sort)
        assert [b.title for b in await reads.page(query, await reads.matches(query))] == expected


async def test_books_by_isbn_title_and_author_and_orders(backend: Services) -> None:
    owner = await add_user(backend)
    mine, other = await add_books(
        backend,
        a_book(title="Tide Tables", author="Ann Reef", isbn="9780306406157", price=None, published=False,
               added_by=Contributor(owner.id, owner.username)),
        a_book(title="Tide Tables II", author="Ann Reef"),
    )  # fmt: skip
    await record_purchase(backend, owner.id, other.id)
    async with backend.uow(read_only=True) as uow:
        found = await uow.books.by_isbn("9780306406157")
        assert found is not None
        assert (found.id, found.added_by, found.published, found.price) == (mine.id, mine.added_by, False, None)
        assert await uow.books.by_isbn("9780306406157", exclude=mine.id) is None
        assert [b.id for b in await uow.books.match_candidates(["tide tables"], [])] == [mine.id]
        by_author = await uow.books.match_candidates([], ["ann reef"])
        assert sorted(b.id for b in by_author) == sorted([mine.id, other.id])
        assert not await uow.books.has_orders(mine.id)
        if isinstance(uow, SqlUnitOfWork):  # the fake's purchases are no orders
            assert await uow.books.has_orders(other.id)


def _entry(user: User, kind: ActivityKind, minutes: int, book_id: object = None) -> Activity:
    return Activity(uuid7(), user.id, kind, T0 + timedelta(minutes=minutes), book_id, {"n": minutes})  # type: ignore[arg-type]


async def test_activity_pages_newest_first_by_kind_and_goes_with_its_book_and_account(backend: Services) -> None:
    reader, other = await add_user(backend), await add_user(backend)
    (book,) = await add_books(backend, a_book(title="Kept"))
    entries = [
        _entry(reader, ActivityKind.SHELVED, 1, book.id),
        _entry(reader, ActivityKind.ORDERED, 2),
        _entry(reader, ActivityKind.SHELVED, 2, book.id),  # same time: the later recorded comes first
        _entry(other, ActivityKind.SHELVED, 3, book.id),
    ]
    async with backend.uow() as uow:
        for entry in entries:
            await uow.activity.add(entry)
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        items, total = await uow.activity.page(reader.id, kind=None, limit=2, offset=0)
        assert total == 3
        assert [i.entry.id for i in items] == [entries[2].id, entries[1].id]
        assert (items[0].book and items[0].book.title, items[1].book) == ("Kept", None)
        assert items[0].entry.detail == {"n": 2}
        shelved, total = await uow.activity.page(reader.id, kind=ActivityKind.SHELVED, limit=10, offset=1)
        assert ([i.entry.id for i in shelved], total) == ([entries[0].id], 2)
    async with backend.uow() as uow:
        await uow.books.delete(book.id)
        await uow.users.delete(reader.id)
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        assert (await uow.activity.page(reader.id, kind=None, limit=10, offset=0))[1] == 0
        (left,), _ = await uow.activity.page(other.id, kind=None, limit=10, offset=0)
        assert left.book is None  # the entry stays, without the deleted book


async def test_review_history_is_oldest_first(backend: Services) -> None:
    from tests.contract.test_shelf_ports import _review

    reader = await add_user(backend)
    (book,) = await add_books(backend, a_book())
    review = _review(reader.id, book.id)
    async with backend.uow() as uow:
        await uow.reviews.add(review)
        await uow.review_history.add(ReviewVersion(review.id, 4, "later", T0 + timedelta(minutes=5)))
        await uow.review_history.add(ReviewVersion(review.id, 2, None, T0))
        await uow.commit()
    async with backend.uow(read_only=True) as uow:
        found = await uow.review_history.of_review(review.id)
    assert [(v.rating, v.text, v.replaced_at) for v in found] == [
        (2, None, T0),
        (4, "later", T0 + timedelta(minutes=5)),
    ]

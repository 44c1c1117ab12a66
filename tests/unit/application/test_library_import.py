"""Bring your library: the use cases over in-memory fakes (no queue: the test runs each import itself)."""

from __future__ import annotations

from uuid import UUID

import pytest

from application.activity.queries import ListActivity
from application.library.importing import LibraryService, StartLibraryImport, export_goodreads
from application.shelf.add_to_shelf import AddToShelf
from domain.activity import ActivityKind
from domain.errors import InvalidField, NotFound
from domain.identity import EmailNotVerified
from domain.imports import ImportStatus, PayloadTooLarge
from domain.library import LibraryFormat, LibraryImport, MatchedBy, RowReport, RowResult
from domain.shelf import ShelfStatus
from entrypoints.bootstrap import Services
from tests.support.builders import add_book, add_user
from tests.support.imports import stream
from tests.support.library import goodreads_file
from tests.support.wiring import library_service


async def imported(
    service: LibraryService, user_id: UUID, data: bytes, *, dry_run: bool = False
) -> tuple[LibraryImport, list[RowReport]]:
    started = await service.start(StartLibraryImport(user_id, "x.csv", stream(data, 13), dry_run=dry_run))
    await service.run(started.id)
    return await service.get(user_id, started.id)


@pytest.fixture
def service(memory_services: Services) -> LibraryService:
    return library_service(memory_services)


async def test_rows_match_by_isbn_then_title_author_else_a_new_private_book(
    memory_services: Services, service: LibraryService
) -> None:
    s = memory_services
    user, other = await add_user(s), await add_user(s)
    published = await add_book(s, title="Dune", author="Frank Herbert", isbn="9780441013593")
    data = goodreads_file(
        [
            {"Title": "Dune (Dune, #1)", "Author": "Herbert, Frank", "ISBN": '="0441013597"'},
            {"Title": "DUNE", "Author": "frank herbert"},
            {"Title": "Mine", "Author": "Me", "ISBN13": '="9780316129084"'},
            {"Title": "mine!", "Author": "me"},  # the book the row before created
        ]
    )
    record, rows = await imported(service, user.id, data)
    assert record.status is ImportStatus.COMPLETED
    assert record.format is LibraryFormat.GOODREADS
    assert [row.match for row in rows] == [
        MatchedBy.ISBN,
        MatchedBy.TITLE_AUTHOR,
        MatchedBy.CREATED,
        MatchedBy.TITLE_AUTHOR,
    ]
    assert [row.result for row in rows] == [RowResult.ADDED, RowResult.UNCHANGED, RowResult.ADDED, RowResult.UNCHANGED]
    assert rows[0].book_id == published.id
    async with s.uow(read_only=True) as uow:
        mine = await uow.books.get(rows[2].book_id or published.id)
    assert mine is not None
    assert (mine.published, mine.price, mine.isbn) == (False, None, "9780316129084")
    assert mine.added_by is not None
    assert mine.added_by.id == user.id

    # another reader cannot see that book: the same ISBN gives them one of their own, without the ISBN
    _, theirs = await imported(
        service, other.id, goodreads_file([{"Title": "Mine", "Author": "Me", "ISBN13": '="9780316129084"'}])
    )
    assert theirs[0].match is MatchedBy.CREATED
    assert theirs[0].book_id != rows[2].book_id
    assert theirs[0].message is not None
    assert "private" in theirs[0].message
    with pytest.raises(NotFound):
        await service.get(other.id, record.id)


async def test_a_dry_run_changes_nothing_and_reports_the_same(
    memory_services: Services, service: LibraryService
) -> None:
    s = memory_services
    user = await add_user(s)
    await add_book(s, title="Dune", author="Frank Herbert")
    data = goodreads_file([{"Title": "Dune", "Author": "Frank Herbert", "Exclusive Shelf": "read", "My Rating": "4"}])
    dry, dry_rows = await imported(service, user.id, data, dry_run=True)
    assert dry.dry_run
    assert (dry.added, dry.books_created) == (1, 0)
    assert (await s.shelf.page(user.id, status=None, limit=10, offset=0))[1] == 0
    _real, real_rows = await imported(service, user.id, data)
    assert dry_rows == real_rows


async def test_a_finished_book_stays_finished_and_a_review_needs_eligibility(
    memory_services: Services, service: LibraryService
) -> None:
    s = memory_services
    user = await add_user(s)
    book = await add_book(s, title="Dune", author="Frank Herbert")
    await s.shelf.add(AddToShelf(user.id, book.id, ShelfStatus.COMPLETED))
    _, rows = await imported(service, user.id, goodreads_file([{"Title": "Dune", "Author": "Frank Herbert"}]))
    assert rows[0].result is RowResult.UNCHANGED  # to-read does not move a finished book back
    other = await add_book(s, title="Emma", author="Jane Austen")
    _, rows = await imported(
        service, user.id, goodreads_file([{"Title": "Emma", "Author": "Jane Austen", "My Rating": "2"}])
    )
    assert rows[0].book_id == other.id
    assert rows[0].message is not None
    assert rows[0].message.startswith("rating not kept")


async def test_the_upload_is_checked(memory_services: Services, service: LibraryService) -> None:
    s = memory_services
    user, unverified = await add_user(s), await add_user(s, verified=False)
    with pytest.raises(EmailNotVerified):
        await service.start(StartLibraryImport(unverified.id, "x.csv", stream(goodreads_file([]))))
    with pytest.raises(InvalidField, match="not a Goodreads or StoryGraph export"):
        await service.start(StartLibraryImport(user.id, "x.csv", stream(b"a,b\n1,2\n")))
    with pytest.raises(PayloadTooLarge):
        await service.start(StartLibraryImport(user.id, "x.csv", stream(b"x" * (10 * 1024 * 1024 + 1), 1 << 20)))


async def test_the_export_lists_every_entry(memory_services: Services, service: LibraryService) -> None:
    s = memory_services
    user = await add_user(s)
    rows = [{"Title": f"Book {i}", "Author": "Writer"} for i in range(130)]  # more than a page of 100
    await imported(service, user.id, goodreads_file(rows))
    text = "".join([part async for part in export_goodreads(s.uow, user.id)])
    assert len(text.splitlines()) == 131


async def test_a_title_written_another_way_is_found_by_its_author(
    memory_services: Services, service: LibraryService
) -> None:
    s = memory_services
    user = await add_user(s)
    book = await add_book(s, title="Les Misérables", author="Victor Hugo")
    _, rows = await imported(service, user.id, goodreads_file([{"Title": "Les Miserables!", "Author": "Hugo, Victor"}]))
    assert rows[0].match is MatchedBy.TITLE_AUTHOR
    assert rows[0].book_id == book.id


async def test_read_counts_and_unreviewable_reviews_are_kept_and_a_run_is_one_activity_entry(
    memory_services: Services, service: LibraryService
) -> None:
    s = memory_services
    user = await add_user(s)
    rows = [
        {"Title": "Dune", "Author": "Frank Herbert", "Exclusive Shelf": "read", "My Rating": "5",
         "My Review": "Again!", "Date Read": "2024/02/03", "Read Count": "4"},
        {"Title": "Emma", "Author": "Jane Austen", "My Rating": "2", "My Review": "One day."},
        {"Title": "Ulysses", "Author": "James Joyce", "My Review": "Unrated, and honest."},
    ]  # fmt: skip
    _, first = await imported(service, user.id, goodreads_file(rows))
    assert [row.result for row in first] == [RowResult.ADDED] * 3
    items, _ = await s.shelf.page(user.id, status=None, limit=10, offset=0)
    by_title = {item.book.title: item for item in items}
    dune, emma, ulysses = by_title["Dune"], by_title["Emma"], by_title["Ulysses"]
    assert dune.entry.read_count == 4
    assert dune.review is not None
    assert (dune.review.rating, dune.review.text, dune.entry.review_text) == (5, "Again!", None)
    assert (emma.review, emma.entry.review_text) == (None, "One day.")
    assert (ulysses.review, ulysses.entry.review_text) == (None, "Unrated, and honest.")
    reads, _ = await s.journal.reads_of(user.id, dune.book.id)
    assert sorted(read.finished_undated for read in reads) == [False, True, True, True]

    _, again = await imported(service, user.id, goodreads_file(rows))
    assert [row.result for row in again] == [RowResult.UNCHANGED] * 3
    assert (await s.journal.reads_of(user.id, dune.book.id))[1] == 4
    activity, _ = await s.activity.of_user(ListActivity(user.id, limit=100))
    assert [item.entry.kind for item in activity] == [ActivityKind.LIBRARY_IMPORTED] * 2  # no review-written

"""Keyset pages of the book list, on the in-memory fake, SQLite and PostgreSQL: walking by `next`
gives every book once, in the order an offset walk gives, for every sort (ties, nulls and case too)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

import pytest

from application.catalog.cursor import decode_cursor, encode_cursor
from application.catalog.queries import ListBooks
from application.ports.catalog import BookQuery, Cursor, Sort
from domain.errors import InvalidField
from entrypoints.bootstrap import Services
from tests.contract.test_catalog_search import reads_of
from tests.support.builders import T0, a_book, add_books

COLUMN_SORTS = [s for s in Sort if s is not Sort.RELEVANCE]


async def _catalog(backend: Services) -> None:
    """Ties on every key (the same time, title, price, rating, date) and books without a value;
    ratings 4.5 and 3.33 (a float that is not its two-place decimal)."""
    later = T0 + timedelta(hours=1)
    await add_books(
        backend,
        a_book(title="The Lantern", author="Ida Moss", price="12.00", rating_counts=(0, 0, 0, 1, 1),
               publication_date=date(2001, 1, 1)),
        a_book(title="the lantern", author="ida moss", price="12.00", rating_counts=(0, 0, 0, 1, 1),
               publication_date=date(2001, 1, 1)),
        a_book(title="The Lantern", author="Bo Park", price=None, created_at=later),
        a_book(title="Anchor", author="Cy Lee", price="3.50", rating_counts=(0, 0, 2, 1, 0), created_at=later),
        a_book(title="the Wolf", author="Cy Lee", price=None, rating_counts=(0, 0, 0, 1, 1)),
        a_book(title="Zebra Days", author="Al Ng", price="99.99", publication_date=date(1999, 5, 5)),
        a_book(title="Them", author="Al Ng", price="12.00", created_at=later, publication_date=date(2001, 1, 1)),
    )  # fmt: skip


async def _walk(backend: Services, limit: int, **fields: object) -> tuple[list[UUID], list[int]]:
    """Ids by following `next` from the first page, and the totals each page gave."""
    ids: list[UUID] = []
    totals: list[int] = []
    after: str | None = None
    for _ in range(20):
        found = await backend.catalog.list_page(ListBooks(limit=limit, after=after, **fields))  # type: ignore[arg-type]
        ids += [book.id for book in found.items]
        totals.append(found.total)
        if found.next is None:
            return ids, totals
        after = found.next
    raise AssertionError("the cursor walk did not end")


@pytest.mark.parametrize("sort", COLUMN_SORTS)
async def test_walking_by_cursor_gives_each_book_once_in_the_offset_order(backend: Services, sort: Sort) -> None:
    await _catalog(backend)
    everything = await backend.catalog.list_page(ListBooks(sort=sort.value, limit=100))
    assert everything.next is None
    assert len(everything.items) == 7
    for limit in (1, 2, 3, 7):
        walked, totals = await _walk(backend, limit, sort=sort.value)
        assert walked == [book.id for book in everything.items], (sort, limit)
        assert set(totals) == {7}


async def test_a_full_last_page_has_no_next(backend: Services) -> None:
    await _catalog(backend)
    page = await backend.catalog.list_page(ListBooks(sort="title", limit=7))
    assert page.next is None
    first = await backend.catalog.list_page(ListBooks(sort="title", limit=6))
    assert first.next is not None
    last = await backend.catalog.list_page(ListBooks(sort="title", limit=6, after=first.next))
    assert (len(last.items), last.next) == (1, None)


async def test_cursor_pages_keep_the_filters_and_stop_words_walk_by_title(backend: Services) -> None:
    await _catalog(backend)
    by_offset = await backend.catalog.list_page(ListBooks(q="the", limit=100))
    assert [b.title.lower() for b in by_offset.items] == ["the lantern"] * 3 + ["the wolf", "them"]
    walked, totals = await _walk(backend, 2, q="the")
    assert walked == [b.id for b in by_offset.items]
    assert set(totals) == {5}
    priced, _ = await _walk(backend, 1, sort="price", for_sale=True, author="cy lee")
    assert len(priced) == 1


async def test_close_matches_of_a_typo_page_by_cursor_too(backend: Services) -> None:
    await _catalog(backend)
    by_offset = await backend.catalog.list_page(ListBooks(q="lantren", sort="title", limit=100))
    assert len(by_offset.items) == 3
    walked, _ = await _walk(backend, 1, q="lantren", sort="title")
    assert walked == [b.id for b in by_offset.items]


async def test_relevance_ranking_has_no_cursor(backend: Services) -> None:
    await _catalog(backend)
    ranked = await backend.catalog.list_page(ListBooks(q="lantern", limit=1))
    assert (ranked.total, ranked.next) == (3, None)
    token = (await backend.catalog.list_page(ListBooks(sort="title", limit=1))).next
    with pytest.raises(InvalidField) as refused:
        await backend.catalog.list_page(ListBooks(q="lantern", after=token))
    assert refused.value.field == "after"


async def test_a_bad_or_misplaced_cursor_is_refused_on_after(backend: Services) -> None:
    await _catalog(backend)
    token = (await backend.catalog.list_page(ListBooks(sort="title", limit=1))).next
    assert token is not None
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    bad = [tampered, "", "not a cursor", token + "x", "%00"]
    for after, fields in [(b, {"sort": "title"}) for b in bad] + [(token, {"sort": "price"}), (token, {"offset": 1})]:
        with pytest.raises(InvalidField) as refused:
            await backend.catalog.list_page(ListBooks(after=after, **fields))  # type: ignore[arg-type]
        assert refused.value.field == "after", (after, fields)


async def test_a_text_search_counts_up_to_its_cap_and_pages_on_past_it(backend: Services) -> None:
    await _catalog(backend)
    reads = reads_of(backend)
    for q, past_the_cap in (("lantern", 1), ("the", 3)):  # full text, and a stop word's title range
        query = BookQuery(q=q, sort=Sort.TITLE, count_cap=2)
        matches = await reads.matches(query)
        assert (matches.total, matches.estimated) == (2, True)
        assert len(await reads.page(replace(query, offset=2), matches)) == past_the_cap
    exact = await reads.matches(BookQuery(q="lantern", count_cap=3))
    assert (exact.total, exact.estimated) == (3, False)
    browsing = await reads.matches(BookQuery(count_cap=2, for_sale=True))  # no text: always exact
    assert (browsing.total, browsing.estimated) == (5, False)


def test_a_cursor_round_trips_and_is_checked_value_by_value() -> None:
    cursor = Cursor(Sort.NEWEST, (T0,), UUID(int=7))
    assert decode_cursor(encode_cursor(cursor), Sort.NEWEST) == cursor
    for key in [("x",), (T0.replace(tzinfo=None),)]:
        with pytest.raises(InvalidField):
            decode_cursor(encode_cursor(Cursor(Sort.NEWEST, key, UUID(int=7))), Sort.NEWEST)
    long_title = Cursor(Sort.TITLE, ("t" * 501, "a"), UUID(int=7))
    with pytest.raises(InvalidField):
        decode_cursor(encode_cursor(long_title), Sort.TITLE)

"""The catalog read side's contract, on the in-memory fake, SQLite FTS5 and PostgreSQL full-text search."""

from __future__ import annotations

from decimal import Decimal

import pytest

from application.ports.catalog import BookQuery, CatalogReads, Sort
from entrypoints.bootstrap import Services
from tests.support.builders import a_book, add_books, add_genre


def reads_of(services: Services) -> CatalogReads:
    return services.catalog.reads


async def search(services: Services, q: str, **fields: object) -> tuple[list[str], int]:
    reads = reads_of(services)
    query = BookQuery(q=q, sort=Sort.RELEVANCE, **fields)  # type: ignore[arg-type]
    matches = await reads.matches(query)
    found = [book.title for book in await reads.page(query, matches)]
    together, books = await reads.listing(query)  # the same answer in one go
    assert (together, [book.title for book in books]) == (matches, found)
    return found, matches.total


async def test_title_outranks_author_outranks_description(backend: Services) -> None:
    await add_books(
        backend,
        a_book(title="Notes from the Lighthouse", author="Ada Bell", description="About marmalade, briefly."),
        a_book(title="Marmalade Mornings", author="Ada Bell", description="A breakfast memoir."),
        a_book(title="Garden Diaries", author="Tom Marmalade", description="Roses."),
        a_book(title="Unrelated", author="Ada Bell", description="Nothing to see."),
    )
    found, total = await search(backend, "marmalade")
    assert found == ["Marmalade Mornings", "Garden Diaries", "Notes from the Lighthouse"]
    assert total == 3


async def test_title_order_ignores_case_and_then_goes_by_author(backend: Services) -> None:
    await add_books(
        backend,
        a_book(title="zebra days", author="Kim"),
        a_book(title="Dune", author="frank Herbert"),
        a_book(title="apple", author="Lee"),
        a_book(title="DUNE", author="Brian Herbert"),
        a_book(title="Zebra Days", author="Abe"),
    )
    reads = reads_of(backend)
    query = BookQuery(sort=Sort.TITLE)
    found = await reads.page(query, await reads.matches(query))
    assert [(book.title, book.author) for book in found] == [
        ("apple", "Lee"),
        ("DUNE", "Brian Herbert"),
        ("Dune", "frank Herbert"),
        ("Zebra Days", "Abe"),
        ("zebra days", "Kim"),
    ]


async def test_word_prefixes_find_the_book(backend: Services) -> None:
    await add_books(
        backend,
        a_book(title="Harry Potter and the Philosopher's Stone", author="J. K. Rowling"),
        a_book(title="Harriet the Spy", author="Louise Fitzhugh"),
    )
    assert await search(backend, "harr pott") == (["Harry Potter and the Philosopher's Stone"], 1)
    assert (await search(backend, "harr"))[1] == 2


async def test_a_small_typo_still_finds_the_book(backend: Services) -> None:
    await add_books(
        backend,
        a_book(title="Harry Potter and the Philosopher's Stone", author="J. K. Rowling"),
        a_book(title="Pride and Prejudice", author="Jane Austen"),
    )
    assert (await search(backend, "Hary Poter"))[0] == ["Harry Potter and the Philosopher's Stone"]
    assert (await search(backend, "Jane Austin"))[0] == ["Pride and Prejudice"]
    assert await search(backend, "zzzzqqqq") == ([], 0)


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "foo AND (bar OR",
        "'; DROP TABLE books; --",
        "%_\\",
        ":* | & ! <-> ()",
        "NEAR(a b",
        "title:stone",
        "-",
        "*",
        "\x00",
    ],
)
async def test_query_syntax_in_q_is_never_an_error(backend: Services, q: str) -> None:
    await add_books(backend, a_book(title="The Stone Bridge"))
    found, total = await search(backend, q)
    assert total == len(found)


async def test_filters_combine_with_text(backend: Services) -> None:
    await add_books(
        backend,
        a_book(title="River Song", price="5.00", stock=0, language="en"),
        a_book(title="River Deep", price="25.00", stock=3, language="en"),
        a_book(title="River Bend", price="15.00", stock=3, language="fr"),
    )
    assert await search(backend, "river", in_stock=True, max_price=Decimal(20)) == (["River Bend"], 1)
    assert await search(backend, "river", language="en", min_price=Decimal(10)) == (["River Deep"], 1)


async def test_a_very_common_word_pages_through_every_match(backend: Services) -> None:
    await add_books(backend, *(a_book(title=f"Love Story {n}", description="love " * 5) for n in range(45)))
    found, total = await search(backend, "love", limit=20, offset=40)
    assert total == 45
    assert len(found) == 5


async def test_stop_words_alone_match_title_prefixes_in_title_order_and_never_typos(backend: Services) -> None:
    await add_books(
        backend,
        a_book(title="Theory of Everything", author="Ann Lee"),
        a_book(title="the Road", author="Cormac McCarthy"),
        a_book(title="The Hobbit", author="J. R. R. Tolkien"),
        a_book(title="Into the Wild", author="Jon Krakauer", description="The wild."),
        a_book(title="Thx", author="Tha"),  # a close (typo) match of `the`, which a stop word never looks for
    )
    assert await search(backend, "The") == (["The Hobbit", "the Road", "Theory of Everything"], 3)
    assert await search(backend, "the", limit=1, offset=1) == (["the Road"], 3)
    assert await search(backend, "into the") == (["Into the Wild"], 1)
    assert await search(backend, "of") == ([], 0)
    reads = reads_of(backend)
    newest = BookQuery(q="the", sort=Sort.TITLE, author="cormac")
    assert [b.title for b in await reads.page(newest, await reads.matches(newest))] == ["the Road"]


async def test_a_listing_in_one_go_is_its_count_and_its_page(backend: Services) -> None:
    """Past the end, filtered, in each order and for stop words, `listing` answers as `matches` + `page`."""
    genre = await add_genre(backend, "Sea Stories")
    await add_books(
        backend,
        *(a_book(title=f"The Tide {n}", price=f"{5 + n}.00", genre=genre if n % 2 else None) for n in range(7)),
        a_book(title="Harbour Lights", price=None, stock=0),
    )
    reads = reads_of(backend)
    queries = [
        BookQuery(),
        BookQuery(limit=3, offset=3),
        BookQuery(offset=8),
        BookQuery(offset=50),
        BookQuery(genre="sea-stories", sort=Sort.PRICE_DESC),
        BookQuery(max_price=Decimal("8"), in_stock=True, sort=Sort.TITLE),
        BookQuery(for_sale=False),
        BookQuery(q="the", sort=Sort.RELEVANCE, limit=2, offset=1),
        BookQuery(q="tide", sort=Sort.RELEVANCE, offset=6),
        BookQuery(q="Harbur", sort=Sort.RELEVANCE),
        BookQuery(q="!!", sort=Sort.RELEVANCE),
    ]
    for query in queries:
        matches = await reads.matches(query)
        page = await reads.page(query, matches)
        together, books = await reads.listing(query)
        assert (together, [b.id for b in books]) == (matches, [b.id for b in page]), query
        assert [repr(b) for b in books] == [repr(b) for b in page], query  # every field alike

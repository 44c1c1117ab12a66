"""The CatalogCache contract, run on the in-memory adapter and on the Valkey adapter."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from adapters.memory.catalog_cache import MemoryCatalogCache
from adapters.valkey.catalog_cache import ValkeyCatalogCache
from adapters.valkey.client import make_client
from application.ports.catalog import (
    AVAILABILITY,
    RATING_ORDER,
    CatalogCache,
    GenreCount,
    book_scope,
    books_changed,
)
from domain.catalog import Book
from domain.money import Money
from tests.support.valkey import delete_prefix

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", pytest.param("valkey", marks=pytest.mark.valkey)])
async def cache(request: pytest.FixtureRequest, valkey_url: str, valkey_prefix: str) -> AsyncIterator[CatalogCache]:
    if request.param == "memory":
        yield MemoryCatalogCache()
        return
    client = make_client(valkey_url)
    try:
        yield ValkeyCatalogCache(client, valkey_prefix)
    finally:
        await delete_prefix(client, valkey_prefix)
        await client.aclose()


def book(title: str = "Dune", price: str = "9.99", stock: int = 3) -> Book:
    return Book(
        id=uuid4(),
        title=title,
        author="Frank Herbert",
        price=Money(Decimal(price)),
        created_at=T0,
        updated_at=T0,
        stock=stock,
        tags=["classic"],
    )


def fields(item: Book | None) -> dict[str, object]:
    """A book's values (books compare by identity)."""
    assert item is not None
    return dataclasses.asdict(item)


async def fill(cache: CatalogCache, key: str, value: object, kind: object, scopes: tuple[str, ...] = ()) -> None:
    found, token = await cache.read(key, kind)
    assert found is None
    await cache.write(key, value, token, scopes)


async def cached(cache: CatalogCache, key: str, kind: object) -> object:
    return (await cache.read(key, kind))[0]


PAGE = tuple[int, list[Book]]


async def test_a_written_entry_is_read_back_equal(cache: CatalogCache) -> None:
    dune = book()
    await fill(cache, "detail", dune, Book, (book_scope(dune.id),))
    found, _ = await cache.read("detail", Book)
    assert fields(found) == fields(dune)
    assert found is not dune


async def test_a_caller_changing_what_it_read_does_not_change_the_cache(cache: CatalogCache) -> None:
    dune = book()
    await fill(cache, "detail", dune, Book, (book_scope(dune.id),))
    first, _ = await cache.read("detail", Book)
    first.stock = 0
    again, _ = await cache.read("detail", Book)
    assert again.stock == 3


async def test_a_change_without_scopes_makes_every_entry_stale(cache: CatalogCache) -> None:
    dune = book()
    await fill(cache, "detail", dune, Book, (book_scope(dune.id),))
    await fill(cache, "page:1", (1, [dune]), PAGE, (book_scope(dune.id),))
    await fill(cache, "genres", [GenreCount(uuid4(), "SF", "sf", 1)], list[GenreCount])
    await cache.changed()
    assert await cached(cache, "detail", Book) is None
    assert await cached(cache, "page:1", PAGE) is None
    assert await cached(cache, "genres", list[GenreCount]) is None


async def test_a_book_change_makes_stale_what_shows_it_and_nothing_else(cache: CatalogCache) -> None:
    sold, other = book("Dune"), book("Emma")
    genres = [GenreCount(uuid4(), "SF", "sf", 2)]
    for item in (sold, other):
        await fill(cache, f"detail:{item.id}", item, Book, (book_scope(item.id),))
    await fill(cache, "page:both", (2, [sold, other]), PAGE, (book_scope(sold.id), book_scope(other.id)))
    await fill(cache, "page:other", (2, [other]), PAGE, (book_scope(other.id),))
    await fill(cache, "page:by-rating", (2, [other]), PAGE, (RATING_ORDER, book_scope(other.id)))
    await fill(cache, "page:in-stock", (2, [other]), PAGE, (AVAILABILITY, book_scope(other.id)))
    await fill(cache, "genres", genres, list[GenreCount])

    await cache.changed(*books_changed([sold.id], ratings=False))

    assert await cached(cache, f"detail:{sold.id}", Book) is None
    assert await cached(cache, "page:both", PAGE) is None
    assert fields(await cached(cache, f"detail:{other.id}", Book)) == fields(other)  # type: ignore[arg-type]
    for untouched in ("page:other", "page:by-rating", "page:in-stock"):
        assert await cached(cache, untouched, PAGE) is not None, untouched
    assert await cached(cache, "genres", list[GenreCount]) == genres

    await cache.changed(*books_changed([sold.id], ratings=True))  # a review: the rating order changed
    assert await cached(cache, "page:by-rating", PAGE) is None
    assert await cached(cache, "page:in-stock", PAGE) is not None
    await cache.changed(*books_changed([sold.id], ratings=False, sold_out=True))  # the last copy sold
    assert await cached(cache, "page:in-stock", PAGE) is None
    assert await cached(cache, "page:other", PAGE) is not None


async def test_a_value_read_before_a_change_is_never_served_after_it(cache: CatalogCache) -> None:
    dune = book(price="9.99")
    scopes = (book_scope(dune.id),)
    _, before = await cache.read("detail", Book)  # a slow reader read the database here ...
    await cache.changed(*books_changed([dune.id], ratings=False))  # ... a sale committed ...
    await cache.write("detail", dune, before, scopes)  # ... and the old stock arrives late
    assert await cached(cache, "detail", Book) is None
    cheaper = book(price="4.99")
    _, now = await cache.read("detail", Book)
    await cache.write("detail", cheaper, now, scopes)
    found = await cached(cache, "detail", Book)
    assert isinstance(found, Book)
    assert found.price == Money(Decimal("4.99"))


async def test_a_page_read_before_a_change_of_a_book_it_shows_is_never_served_after_it(cache: CatalogCache) -> None:
    """The books a page depends on are known only once it was read: a change committed meanwhile still counts."""
    dune = book()
    _, before = await cache.read("page:1", PAGE)
    await cache.changed(*books_changed([dune.id], ratings=True))
    await cache.write("page:1", (1, [dune]), before, (book_scope(dune.id),))
    assert await cached(cache, "page:1", PAGE) is None
    await cache.changed(*books_changed([uuid4()], ratings=False))  # another book's change: no reader affected
    _, now = await cache.read("page:1", PAGE)
    await cache.write("page:1", (1, [dune]), now, (book_scope(dune.id),))
    assert await cached(cache, "page:1", PAGE) is not None


@pytest.mark.valkey
async def test_a_sequence_lost_in_valkey_never_brings_an_old_entry_back(valkey_url: str, valkey_prefix: str) -> None:
    client = make_client(valkey_url)
    try:
        cache = ValkeyCatalogCache(client, valkey_prefix)
        dune = book()
        for _ in range(3):
            await cache.changed(*books_changed([uuid4()], ratings=False))
        await fill(cache, "detail", dune, Book, (book_scope(dune.id),))
        await client.delete(f"{valkey_prefix}catalog:seq")  # evicted, or Valkey emptied of it
        await cache.changed(*books_changed([dune.id], ratings=False))
        assert await cached(cache, "detail", Book) is None
    finally:
        await delete_prefix(client, valkey_prefix)
        await client.aclose()

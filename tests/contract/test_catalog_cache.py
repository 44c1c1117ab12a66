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
from application.ports.catalog import LISTS, TAXONOMY, CatalogCache, GenreCount, book_scope, books_changed
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


async def fill(cache: CatalogCache, scope: str, key: str, value: object, kind: object) -> None:
    found, generation = await cache.read(scope, key, kind)
    assert found is None
    await cache.write(scope, key, value, generation)


async def test_a_written_entry_is_read_back_equal(cache: CatalogCache) -> None:
    dune = book()
    await fill(cache, book_scope(dune.id), "detail", dune, Book)
    found, _ = await cache.read(book_scope(dune.id), "detail", Book)
    assert fields(found) == fields(dune)
    assert found is not dune


async def test_a_caller_changing_what_it_read_does_not_change_the_cache(cache: CatalogCache) -> None:
    dune = book()
    await fill(cache, book_scope(dune.id), "detail", dune, Book)
    first, _ = await cache.read(book_scope(dune.id), "detail", Book)
    first.stock = 0
    again, _ = await cache.read(book_scope(dune.id), "detail", Book)
    assert again.stock == 3


async def test_a_change_without_scopes_makes_every_entry_stale(cache: CatalogCache) -> None:
    dune = book()
    await fill(cache, book_scope(dune.id), "detail", dune, Book)
    await fill(cache, LISTS, "page:1", (1, [dune]), tuple[int, list[Book]])
    await fill(cache, TAXONOMY, "genres", [GenreCount(uuid4(), "SF", "sf", 1)], list[GenreCount])
    await cache.changed()
    assert (await cache.read(book_scope(dune.id), "detail", Book))[0] is None
    assert (await cache.read(LISTS, "page:1", tuple[int, list[Book]]))[0] is None
    assert (await cache.read(TAXONOMY, "genres", list[GenreCount]))[0] is None


async def test_a_book_change_makes_its_detail_and_the_lists_stale_and_nothing_else(cache: CatalogCache) -> None:
    sold, other = book("Dune"), book("Emma")
    genres = [GenreCount(uuid4(), "SF", "sf", 2)]
    for item in (sold, other):
        await fill(cache, book_scope(item.id), "detail", item, Book)
    await fill(cache, LISTS, "page:1", (2, [sold, other]), tuple[int, list[Book]])
    await fill(cache, TAXONOMY, "genres", genres, list[GenreCount])

    await cache.changed(*books_changed([sold.id]))

    assert (await cache.read(book_scope(sold.id), "detail", Book))[0] is None
    assert (await cache.read(LISTS, "page:1", tuple[int, list[Book]]))[0] is None
    assert fields((await cache.read(book_scope(other.id), "detail", Book))[0]) == fields(other)
    assert (await cache.read(TAXONOMY, "genres", list[GenreCount]))[0] == genres


async def test_a_value_read_before_a_change_is_never_served_after_it(cache: CatalogCache) -> None:
    dune = book(price="9.99")
    scope = book_scope(dune.id)
    _, before = await cache.read(scope, "detail", Book)  # a slow reader read the database here ...
    await cache.changed(*books_changed([dune.id]))  # ... an admin's price change committed ...
    await cache.write(scope, "detail", dune, before)  # ... and the old price arrives late
    assert (await cache.read(scope, "detail", Book))[0] is None
    cheaper = book(price="4.99")
    _, now = await cache.read(scope, "detail", Book)
    await cache.write(scope, "detail", cheaper, now)
    found, _ = await cache.read(scope, "detail", Book)
    assert found is not None
    assert found.price == Money(Decimal("4.99"))

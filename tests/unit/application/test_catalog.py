"""Catalog use cases over in-memory fakes."""

from __future__ import annotations

from typing import Any, cast

import pytest

from application.catalog.books import CreateBook, SetStock, UpdateBook
from application.catalog.genres import CreateGenre
from application.catalog.queries import CatalogQueries, ListBooks
from application.commerce.cart import AddToCart
from application.commerce.checkout import Checkout
from application.ports.catalog import CatalogReads
from application.ports.uow import UnitOfWork
from application.reviews.create_review import CreateReview
from domain.book_policy import Viewer
from domain.catalog import BackInStock, Book, slugify
from domain.errors import Conflict, InvalidField
from domain.events import DomainEvent
from domain.identity import Role
from entrypoints.bootstrap import Services
from tests.support.builders import add_book, add_user
from tests.support.shelf import finish


async def an_admin(services: Services) -> Viewer:
    admin = await add_user(services, role=Role.ADMIN)
    return Viewer(admin.id, admin.role)


async def test_stock_from_zero_records_back_in_stock_once(memory_services: Services) -> None:
    seen: list[DomainEvent] = []

    async def record(_: UnitOfWork, event: DomainEvent) -> None:
        seen.append(event)

    admin = await an_admin(memory_services)
    memory_services.uow._handlers = {BackInStock: [record]}  # type: ignore[attr-defined]
    book = await memory_services.catalog.create_book(CreateBook(admin, "T", "A", "5.00", stock=0))
    await memory_services.catalog.set_stock(SetStock(admin, book.id, 3))
    await memory_services.catalog.set_stock(SetStock(admin, book.id, 5))
    await memory_services.catalog.set_stock(SetStock(admin, book.id, 0))
    await memory_services.catalog.update_book(UpdateBook(admin, book.id, {"stock": 1}))
    assert seen == [BackInStock(book.id), BackInStock(book.id)]


async def test_negative_stock_is_refused(memory_services: Services) -> None:
    admin = await an_admin(memory_services)
    book = await memory_services.catalog.create_book(CreateBook(admin, "T", "A", "5.00"))
    with pytest.raises(InvalidField) as raised:
        await memory_services.catalog.set_stock(SetStock(admin, book.id, -1))
    assert raised.value.field == "stock"


async def test_isbns_are_unique_in_any_form(memory_services: Services) -> None:
    admin = await an_admin(memory_services)
    await memory_services.catalog.create_book(CreateBook(admin, "T", "A", "5.00", isbn="0-306-40615-2"))
    with pytest.raises(Conflict):
        await memory_services.catalog.create_book(CreateBook(admin, "U", "B", "5.00", isbn="9780306406157"))


async def test_genres_get_slugs_and_unique_names(memory_services: Services) -> None:
    genre = await memory_services.catalog.create_genre(CreateGenre("  Science   Fiction "))
    assert (genre.name, genre.slug) == ("Science Fiction", "science-fiction")
    with pytest.raises(Conflict):
        await memory_services.catalog.create_genre(CreateGenre("science fiction"))
    with pytest.raises(InvalidField):
        await memory_services.catalog.create_genre(CreateGenre("!!!"))


async def test_list_reads_through_the_in_memory_cache(memory_services: Services) -> None:
    admin = await an_admin(memory_services)
    await memory_services.catalog.create_book(CreateBook(admin, "Comet", "A", "5.00"))
    found, total = await memory_services.catalog.list_books(ListBooks(q="comet"))
    assert (total, [b.title for b in found]) == (1, ["Comet"])
    await memory_services.catalog.create_book(CreateBook(admin, "Comet Two", "A", "5.00"))
    assert (await memory_services.catalog.list_books(ListBooks(q="comet")))[1] == 2


def test_slugs() -> None:
    assert slugify("Rock & Roll: Stories") == "rock-roll-stories"


async def test_cached_reads_follow_checkouts_and_reviews_of_their_book_only(memory_services: Services) -> None:
    s = memory_services
    sold, untouched = await add_book(s, title="Sold", stock=1), await add_book(s, title="Untouched", stock=2)
    for book in (sold, untouched):
        await s.catalog.get_book(book.id)  # both details cached
    await s.catalog.list_books(ListBooks())  # and the first page, with its count
    assert (await s.catalog.list_books(ListBooks(in_stock=True)))[1] == 2
    buyer = await add_user(s)
    await s.commerce.add_to_cart(AddToCart(buyer.id, sold.id, 1))
    await s.commerce.checkout(Checkout(buyer.id))

    assert (await s.catalog.get_book(sold.id)).stock == 0
    listed, total = await s.catalog.list_books(ListBooks())
    assert ({b.title: b.stock for b in listed}, total) == ({"Sold": 0, "Untouched": 2}, 2)
    in_stock, total = await s.catalog.list_books(ListBooks(in_stock=True))
    assert ([b.title for b in in_stock], total) == (["Untouched"], 1)

    await finish(s, buyer.id, sold.id)
    await s.reviews.create(CreateReview(buyer.id, sold.id, 4))
    assert (await s.catalog.get_book(sold.id)).rating_counts == (0, 0, 0, 1, 0)
    assert [b.review_count for b in (await s.catalog.list_books(ListBooks(sort="-rating")))[0]] == [1, 0]
    # The other book's entry was never touched: a hit, not a database read.
    cached, _ = await s.catalog.cache.read(f"detail:{untouched.id}", Book)
    assert cached is not None


class CountingReads:
    """The read side, counting the database reads made through it."""

    def __init__(self, reads: CatalogReads) -> None:
        self._reads = reads
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._reads, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return await method(*args, **kwargs)

        return counted


async def test_a_sale_or_a_review_stales_the_pages_showing_the_book_and_those_ordered_or_filtered_by_it(
    memory_services: Services,
) -> None:
    s = memory_services
    comet = await add_book(s, title="Comet", stock=2)
    await add_book(s, title="Lantern", stock=2)
    reads = CountingReads(s.catalog.reads)
    queries = CatalogQueries(reads=cast(CatalogReads, reads), cache=s.catalog.cache)
    pages = {
        "comet": ListBooks(q="comet"),
        "lantern": ListBooks(q="lantern"),
        "lantern by rating": ListBooks(q="lantern", sort="-rating"),
        "lantern in stock": ListBooks(q="lantern", in_stock=True),
    }

    async def read_again() -> dict[str, int]:
        """Which pages needed the database again, and the stock the Comet page shows."""
        again = {}
        for name, page in pages.items():
            before = reads.calls
            await queries.list_page(page)
            again[name] = reads.calls - before
        return {name: n for name, n in again.items() if n}

    assert set(await read_again()) == set(pages)  # all cached now
    assert await read_again() == {}
    buyer = await add_user(s)
    await s.commerce.add_to_cart(AddToCart(buyer.id, comet.id, 1))
    await s.commerce.checkout(Checkout(buyer.id))
    assert set(await read_again()) == {"comet"}  # one copy left: nothing else changed
    assert [b.stock for b in (await queries.list_page(pages["comet"])).items] == [1]

    await finish(s, buyer.id, comet.id)
    await s.reviews.create(CreateReview(buyer.id, comet.id, 4))
    assert set(await read_again()) == {"comet", "lantern by rating"}

    await s.commerce.add_to_cart(AddToCart(buyer.id, comet.id, 1))
    await s.commerce.checkout(Checkout(buyer.id))  # the last copy: which books are in stock changed
    assert set(await read_again()) == {"comet", "lantern in stock"}

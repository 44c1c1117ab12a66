"""The catalog cache in Valkey, shared by two API processes on one PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from adapters.sql.tables import books
from adapters.sql.uow import SqlUowFactory
from application.commerce.cart import AddToCart
from application.commerce.checkout import Checkout
from entrypoints.bootstrap import Services, bootstrap
from entrypoints.http.app import create_app
from tests.support.catalog import admin_headers, create_book
from tests.support.commerce import many_buyers
from tests.support.http import API
from tests.support.settings import make_settings
from tests.support.shelf import review

Client = AsyncTestClient[Any]


@pytest.fixture
async def two_apps(
    pg_url: str, valkey_url: str, valkey_prefix: str, tmp_path: Path
) -> AsyncIterator[tuple[Client, Client, Services]]:
    # Valkey's own entries only: what is shared is exact across processes the moment a write returns.
    # The entries each process keeps in memory follow another's change when its message arrives
    # (test_catalog_cache_local.py), so a read right after another process's write could race it.
    settings = make_settings(
        tmp_path / "var",
        database_url=pg_url,
        valkey_url=valkey_url,
        valkey_prefix=valkey_prefix,
        catalog_cache_local_mb=0,
    )
    # The test clients run each app on its own event loop: the test's own calls get their own services,
    # since pooled Valkey connections belong to the loop that opened them.
    first, second, own = bootstrap(settings), bootstrap(settings), bootstrap(settings)
    async with AsyncTestClient(app=create_app(first)) as a, AsyncTestClient(app=create_app(second)) as b:
        yield a, b, own
    await own.aclose()


async def _sneak_price(services: Services, book_id: str, price: str) -> None:
    """Changes the row behind the use cases' back, so only a cache explains an old answer."""
    assert isinstance(services.uow, SqlUowFactory)
    async with services.uow.engine.begin() as conn:
        await conn.execute(update(books).where(books.c.id == book_id).values(price=price))


async def test_a_write_on_one_process_is_seen_at_once_on_the_other(two_apps: tuple[Client, Client, Services]) -> None:
    a, b, services = two_apps
    admin = await admin_headers(a, services)
    book = await create_book(a, admin, price="10.00", tags=["x"])
    path = f"{API}/books/{book['id']}"
    assert (await b.get(path)).json()["price"] == "10.00"
    await _sneak_price(services, book["id"], "99.00")
    assert (await b.get(path)).json()["price"] == "10.00", "the detail is served from the cache"
    response = await a.patch(path, json={"price": "12.50"}, headers=admin)
    assert response.status_code == 200
    assert (await b.get(path)).json()["price"] == "12.50"
    await a.patch(f"{path}/stock", json={"stock": 0}, headers=admin)
    assert (await b.get(path)).json()["stock"] == 0


async def test_genre_and_tag_lists_follow_writes(two_apps: tuple[Client, Client, Services]) -> None:
    a, b, services = two_apps
    admin = await admin_headers(a, services)
    assert (await b.get(f"{API}/genres")).json() == []
    assert (await b.get(f"{API}/tags")).json() == []
    genre = (await a.post(f"{API}/genres", json={"name": "Poetry"}, headers=admin)).json()
    book = await create_book(a, admin, genre="poetry", tags=["verse"])
    assert [g["book_count"] for g in (await b.get(f"{API}/genres")).json()] == [1]
    assert (await b.get(f"{API}/tags")).json() == [{"name": "verse", "book_count": 1}]
    assert (await a.delete(f"{API}/books/{book['id']}", headers=admin)).status_code == 204
    assert (await b.get(f"{API}/tags")).json() == []
    assert (await b.get(f"{API}/books/{book['id']}")).status_code == 404
    assert (await a.delete(f"{API}/genres/{genre['id']}", headers=admin)).status_code == 204
    assert (await b.get(f"{API}/genres")).json() == []


async def test_list_totals_follow_writes(two_apps: tuple[Client, Client, Services]) -> None:
    a, b, services = two_apps
    admin = await admin_headers(a, services)
    assert (await b.get(f"{API}/books", params={"q": "comet"})).json()["total"] == 0
    await create_book(a, admin, title="The Comet")
    found = (await b.get(f"{API}/books", params={"q": "comet"})).json()
    assert (found["total"], [i["title"] for i in found["items"]]) == (1, ["The Comet"])


async def test_a_sale_or_a_review_on_one_process_stales_on_the_other_only_what_it_changed(
    two_apps: tuple[Client, Client, Services],
) -> None:
    a, b, services = two_apps
    admin = await admin_headers(a, services)
    comet = await create_book(a, admin, title="The Comet", price="10.00", stock=2)
    lantern = await create_book(a, admin, title="The Lantern", price="10.00", stock=2)
    pages = {
        "comet": {"q": "comet"},
        "lantern": {"q": "lantern"},
        "lantern by rating": {"q": "lantern", "sort": "-rating"},
        "lantern in stock": {"q": "lantern", "in_stock": "true"},
    }

    async def read_again(price: str) -> set[str]:
        """The pages answered from the database again: they show `price`, set behind the cache's back."""
        again = set()
        for name, params in pages.items():
            items = (await b.get(f"{API}/books", params=params)).json()["items"]
            if items[0]["price"] == price:
                again.add(name)
        return again

    async def sneak(price: str) -> None:
        for book in (comet, lantern):
            await _sneak_price(services, book["id"], price)

    assert await read_again("10.00") == set(pages)  # all stored now
    await sneak("99.00")
    assert await read_again("99.00") == set()
    [buyer] = await many_buyers(services, 1)
    await services.commerce.add_to_cart(AddToCart(buyer.id, UUID(comet["id"]), 1))
    await services.commerce.checkout(Checkout(buyer.id))
    assert await read_again("99.00") == {"comet"}  # one copy left: no other page changed
    assert (await b.get(f"{API}/books", params=pages["comet"])).json()["items"][0]["stock"] == 1

    await sneak("98.00")
    await review(services, buyer.id, UUID(comet["id"]), 5)
    assert await read_again("98.00") == {"comet", "lantern by rating"}

    await sneak("97.00")
    await services.commerce.add_to_cart(AddToCart(buyer.id, UUID(comet["id"]), 1))
    await services.commerce.checkout(Checkout(buyer.id))  # the last copy: which books are in stock changed
    assert await read_again("97.00") == {"comet", "lantern in stock"}

"""Checkout under real concurrency on PostgreSQL: two API processes, one database, racing buyers."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from adapters.sql.tables import order_items, orders
from application.commerce.cart import AddToCart
from application.commerce.prebooks import PreBook
from domain.commerce import PreBookingStatus
from domain.identity import User
from entrypoints.bootstrap import Services, bootstrap
from tests.support.builders import add_book
from tests.support.commerce import bearer_for, many_buyers, outbox, restock, set_price, stock_of
from tests.support.servers import api_processes
from tests.support.settings import make_settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
async def pg_services(pg_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    wired = bootstrap(make_settings(tmp_path / "var", database_url=pg_url, db_pool_size=5))
    yield wired
    await wired.aclose()


@pytest.fixture
async def apis(pg_url: str, tmp_path: Path) -> AsyncIterator[list[str]]:
    async with api_processes(pg_url, tmp_path, count=2, env={"FOLIO_DB_POOL_SIZE": "5"}) as urls:
        yield urls


async def _count(services: Services, query: Any) -> int:
    async with services.uow(read_only=True) as uow:
        conn: Any = uow.connection  # the SQL unit of work's connection
        return int((await conn.execute(query)).scalar_one())


async def _all_check_out(s: Services, apis: list[str], buyers: list[User]) -> list[httpx.Response]:
    """Every buyer checks out at once, alternately on each API process."""
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=len(buyers))) as http:
        return await asyncio.gather(
            *(
                http.post(f"{apis[n % 2]}/api/v1/orders/checkout", headers=bearer_for(s, user))
                for n, user in enumerate(buyers)
            )
        )


async def test_200_buyers_for_the_last_50_copies_across_two_processes(pg_services: Services, apis: list[str]) -> None:
    """The stock is taken by one conditional update, last in the checkout: without its `stock >= quantity`
    the losers hit the stock >= 0 constraint (a 409 conflict, not insufficient-stock)."""
    s = pg_services
    book = await add_book(s, price="15.00", stock=50)
    buyers = await many_buyers(s, 200)
    for user in buyers:
        await s.commerce.add_to_cart(AddToCart(user.id, book.id, 1))
    responses = await _all_check_out(s, apis, buyers)

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 50, 409: 150}, statuses
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {"/problems/insufficient-stock"}
    assert await stock_of(s, book.id) == 0
    assert await _count(s, select(func.count()).select_from(orders)) == 50
    assert await _count(s, select(func.sum(order_items.c.quantity))) == 50
    assert len(await outbox(s, "order-confirmation")) == 50
    winners = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(winners) == 50

    # The snapshot stays as it was, whichever process answers.
    await set_price(s, book.id, "99.00")
    order_id = next(iter(winners))
    owner = next(
        u for u, r in zip(buyers, responses, strict=True) if r.status_code == 201 and r.json()["id"] == order_id
    )
    async with httpx.AsyncClient(timeout=30) as http:
        for api in apis:
            order = (await http.get(f"{api}/api/v1/orders/{order_id}", headers=bearer_for(s, owner))).json()
            assert (order["items"][0]["unit_price"], order["total"]) == ("15.00", "15.00")


async def test_carts_of_two_books_racing_for_their_last_copies_neither_deadlock_nor_oversell(
    pg_services: Services, apis: list[str]
) -> None:
    """Each book's stock is taken only where enough copies are left, and several books' row locks are
    taken in one order whatever the order their buyers added them in."""
    s = pg_services
    first, second = await add_book(s, stock=20), await add_book(s, stock=20)
    buyers = await many_buyers(s, 60)
    for n, user in enumerate(buyers):
        for book in (first, second) if n % 2 else (second, first):
            await s.commerce.add_to_cart(AddToCart(user.id, book.id, 1 + n % 2))  # 90 copies of each wanted
    responses = await _all_check_out(s, apis, buyers)

    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) == {201, 409}, statuses  # no deadlock (503), no refused write (409 conflict)
    assert {r.json()["type"] for r in responses if r.status_code == 409} == {"/problems/insufficient-stock"}
    sold = Counter[str]()
    for response in responses:
        if response.status_code == 201:
            sold.update({item["book_id"]: item["quantity"] for item in response.json()["items"]})
    for book in (first, second):
        assert 0 <= await stock_of(s, book.id) == 20 - sold[str(book.id)]
    assert await _count(s, select(func.sum(order_items.c.quantity))) == sum(sold.values())
    assert len(await outbox(s, "order-confirmation")) == statuses[201]


async def test_one_idempotency_key_sent_five_times_at_once_makes_one_order(
    pg_services: Services, apis: list[str]
) -> None:
    s = pg_services
    book = await add_book(s, stock=10)
    [user] = await many_buyers(s, 1)
    await s.commerce.add_to_cart(AddToCart(user.id, book.id, 2))
    headers = {**bearer_for(s, user), "Idempotency-Key": "retry-me"}

    async with httpx.AsyncClient(timeout=60) as http:
        responses = await asyncio.gather(
            *(http.post(f"{apis[n % 2]}/api/v1/orders/checkout", headers=headers) for n in range(5))
        )

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await stock_of(s, book.id) == 8
    assert await _count(s, select(func.count()).select_from(orders)) == 1
    assert len(await outbox(s, "order-confirmation")) == 1


async def test_the_lock_reads_stock_fresh_not_what_the_transaction_saw_before(pg_services: Services) -> None:
    """The bug that oversold the peer: stock read before the row lock was trusted after it."""
    s = pg_services
    book = await add_book(s, stock=5)
    async with s.uow() as buyer_uow:
        before = await buyer_uow.books.get(book.id)
        assert before is not None
        assert before.stock == 5
        await restock(s, book.id, 1)  # another transaction sells 4 copies and commits
        locked = await buyer_uow.books.get_many([book.id], lock=True)
        assert locked[0].stock == 1


async def _restock_without_book_lock(services: Services, book_id: Any, stock: int) -> None:
    # A stock change that forgets to lock the book first: the pre-booking rows' locks must still hold.
    async with services.uow() as uow:
        book = await uow.books.get(book_id)
        assert book is not None
        book.set_stock(stock, now=services.clock.now())
        await uow.books.update(book)
        await uow.commit()


@pytest.mark.parametrize("lock_book", [True, False])
async def test_two_admins_restocking_at_once_notify_each_waiting_user_once(
    pg_services: Services, lock_book: bool
) -> None:
    s = pg_services
    book = await add_book(s, stock=0)
    waiting = await many_buyers(s, 20, prefix="waiter")
    for user in waiting:
        await s.commerce.prebook(PreBook(user.id, book.id))
    change = restock if lock_book else _restock_without_book_lock

    await asyncio.gather(change(s, book.id, 5), change(s, book.id, 7))

    mails = await outbox(s, "back-in-stock")
    assert Counter(m.recipient for m in mails) == Counter(u.email for u in waiting)
    for user in waiting:
        [view], _ = await s.commerce.prebookings(user.id, limit=5, offset=0)
        assert view.prebooking.status is PreBookingStatus.NOTIFIED
